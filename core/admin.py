"""Admin pieces shared by the apps."""


class ReadOnlyAdminMixin:
    """A record that can be read in the admin, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
