from django.contrib import admin

from .models import CriteriaSet, Criterion, CriterionGroup, Indicator


class CriterionGroupInline(admin.TabularInline):
    model = CriterionGroup
    extra = 0


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "year"]
    search_fields = ["name", "code"]
    inlines = [CriterionGroupInline]


@admin.register(CriterionGroup)
class CriterionGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "criteria_set", "position"]
    list_filter = ["criteria_set"]
    search_fields = ["title", "title_en", "code"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "group", "responsible_body", "assessed"]
    list_filter = ["criteria_set", "group", "responsible_body", "assessed"]
    search_fields = ["title", "title_en", "description"]
    list_select_related = ["group"]
    inlines = [IndicatorInline]
