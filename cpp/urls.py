from django.urls import path

from . import views

urlpatterns = [
    path("cpp/config", views.cpp_config, name="cpp-config"),
    path("cpp/models", views.cpp_models, name="cpp-models"),
    path("cpp/stream", views.cpp_stream, name="cpp-stream"),
    path("file/upload", views.file_upload, name="file-upload"),
    path("file/sync", views.file_sync, name="file-sync"),
]
