"""The schema.org Organization of an organisation page, for search engines (JSON-LD in the page head)."""

from urllib.parse import urlsplit

from .models import Organization


def organization_json_ld(organization: Organization, url: str) -> dict:
    """`url` is the page's absolute address; pictures and contacts become absolute too."""
    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": url,
        "name": organization.name,
        "url": url,
    }
    if organization.summary:
        data["description"] = organization.summary
    if organization.website:
        data["sameAs"] = [organization.website]
    if organization.logo:
        data["logo"] = base + organization.logo.url
    if organization.picture:
        data["image"] = base + organization.picture.url
    if organization.city:
        data["address"] = {
            "@type": "PostalAddress",
            "addressLocality": organization.city,
            "addressCountry": "DE",
        }
    topics = [topic.name for topic in organization.topics.all()]
    if topics:
        data["knowsAbout"] = topics
    contacts = [
        {
            "@type": "ContactPoint",
            "name": contact.name,
            **({"contactType": contact.role} if contact.role else {}),
            **({"email": contact.email} if contact.email else {}),
            **({"telephone": contact.phone} if contact.phone else {}),
        }
        for contact in organization.contacts.all()
    ]
    if contacts:
        data["contactPoint"] = contacts
    offers = [
        {"@type": "Offer", "itemOffered": {"@type": "Service", "name": offer.title}}
        for offer in organization.offers.all()
    ]
    if offers:
        data["makesOffer"] = offers
    return data
