"""The admin's organisation page with the memberships of its managers (accounts) as an inline.

The directory's admin knows nothing of accounts (directory sits below it); this registers the directory's
`OrganizationAdmin` again with the inline added. The portal app comes after both in INSTALLED_APPS.
"""

from django.contrib import admin

from crosscluster.accounts.models import Membership
from crosscluster.directory.admin import OrganizationAdmin
from crosscluster.directory.models import Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name = Membership._meta.verbose_name
    verbose_name_plural = Membership._meta.verbose_name_plural


class OrganizationWithMembershipsAdmin(OrganizationAdmin):
    inlines = [*OrganizationAdmin.inlines, MembershipInline]


admin.site.unregister(Organization)
admin.site.register(Organization, OrganizationWithMembershipsAdmin)
