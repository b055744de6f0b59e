# cursorapi: one image for every replica (and the one-shot `migrate`). See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data PORT=3000
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The admin's static files, served by the app itself (servestatic): collected into the image.
RUN DATA_DIR=/app/build SECRET_KEY=build python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /data && mv /app/build/static /data/static && rm -rf /app/build

EXPOSE 3000
# /health is 200 while the database takes writes (503 when it is down, read-only or unwritable).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:3000/health', timeout=4)" || exit 1
# Two supervised Daphne workers per replica: one that dies is restarted (docs/reliability.md).
CMD ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "3000", "--workers", "2"]
