from django import template

from .. import conf

register = template.Library()


@register.simple_tag
def cooperation_retention_days() -> int:
    return conf.retention_days()
