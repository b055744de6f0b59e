"""Django's admin app with our site (branding and the dashboard) as `admin.site`."""

from django.contrib.admin.apps import AdminConfig


class CursorAdminConfig(AdminConfig):
    default_site = "cursorapi.admin_site.CursorAdminSite"
