from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    name = "crosscluster.inquiries"
    label = "inquiries"
