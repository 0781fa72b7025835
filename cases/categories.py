"""Complaint categories, after the 12315 classification of goods and services."""

from django.utils.translation import gettext_lazy as _

GOODS = "goods"
SERVICES = "services"

CATEGORIES = [
    # code, kind, label
    ("goods.food", GOODS, _("Food")),
    ("goods.appliances", GOODS, _("Household appliances")),
    ("goods.electronics", GOODS, _("Phones, computers and electronics")),
    ("goods.clothing", GOODS, _("Clothing, shoes and hats")),
    ("goods.daily", GOODS, _("Daily goods")),
    ("goods.vehicles", GOODS, _("Vehicles and parts")),
    ("goods.medical", GOODS, _("Medicines and medical devices")),
    ("goods.building", GOODS, _("Building and home materials")),
    ("goods.drinks", GOODS, _("Alcohol, tobacco and drinks")),
    ("goods.other", GOODS, _("Other goods")),
    ("services.life", SERVICES, _("Household and personal services")),
    ("services.internet", SERVICES, _("Internet services")),
    ("services.education", SERVICES, _("Education and training")),
    ("services.travel", SERVICES, _("Travel")),
    ("services.culture", SERVICES, _("Culture, entertainment and sport")),
    ("services.delivery", SERVICES, _("Postal and delivery services")),
    ("services.telecom", SERVICES, _("Telecommunications")),
    ("services.finance", SERVICES, _("Financial and insurance services")),
    ("services.housing", SERVICES, _("Decoration and property management")),
    ("services.catering", SERVICES, _("Catering and accommodation")),
    ("services.other", SERVICES, _("Other services")),
]

CATEGORY_CHOICES = [(code, label) for code, _kind, label in CATEGORIES]
CATEGORY_KIND = {code: kind for code, kind, _label in CATEGORIES}
