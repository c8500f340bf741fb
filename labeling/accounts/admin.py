from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

User = get_user_model()


admin.site.unregister(User)


@admin.register(User)
class StudyUserAdmin(UserAdmin):
    """Users with their study roles (the annotator, admin and researcher groups) at a glance."""

    list_display = ("username", "get_full_name", "email", "roles", "is_active", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"
