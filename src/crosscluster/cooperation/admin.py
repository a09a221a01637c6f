"""The Kooperationsbörse in the Django admin: for looking things up; changes go through the manager area."""

from django.contrib import admin

from .models import CooperationProfile, DismissedPair, Introduction, ProfileMatch


@admin.register(CooperationProfile)
class CooperationProfileAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "kind",
        "state",
        "reviewing_organization",
        "expires_at",
        "created_at",
    ]
    list_filter = ["state", "kind", "language"]
    search_fields = ["title", "company_name", "email"]
    readonly_fields = [
        "owner_token_hash",
        "created_at",
        "updated_at",
        "confirmed_at",
        "published_at",
        "closed_at",
        "erased_at",
    ]
    autocomplete_fields = ["reviewing_organization"]


@admin.register(Introduction)
class IntroductionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "profile", "counterpart", "state", "created_at"]
    list_filter = ["state"]
    readonly_fields = ["confirm_token_hash", "created_at", "decided_at", "closed_at", "erased_at"]
    raw_id_fields = ["profile", "counterpart"]


@admin.register(ProfileMatch)
class ProfileMatchAdmin(admin.ModelAdmin):
    list_display = ["profile", "counterpart", "score", "computed_at"]
    raw_id_fields = ["profile", "counterpart"]


@admin.register(DismissedPair)
class DismissedPairAdmin(admin.ModelAdmin):
    list_display = ["first", "second", "score", "dismissed_by", "created_at"]
    raw_id_fields = ["first", "second"]
