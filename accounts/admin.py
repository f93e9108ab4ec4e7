from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from wards.admin import MembershipInline

from .models import User


@admin.register(User)
class KieuMauUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "first_name", "last_name", "email", "is_active")
