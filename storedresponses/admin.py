from django.contrib import admin

from .models import StoredResponse


@admin.register(StoredResponse)
class StoredResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "model", "created_at"]
    list_filter = ["model", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["id", "owner"]
    readonly_fields = ["id", "owner", "model", "created_at", "body", "input_items", "turns"]
