# cursorapi: one image for the server, the one-shot migration and the management commands.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The admin's CSS and JavaScript, served by the app itself (servestatic).
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app cursorapi \
    && mkdir -p /data && chown cursorapi /data
USER cursorapi
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/health', timeout=3).status != 200)"
# One Daphne process per replica: scale with replicas (compose, Kubernetes) rather than workers.
CMD ["python", "manage.py", "serve", "--workers", "1"]
