"""factory-boy factories for the whole suite; fixtures in conftest.py compose them."""

import datetime
import secrets

import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from crosscluster.accounts.models import Membership, User
from crosscluster.cooperation.models import CooperationProfile, hash_token
from crosscluster.core.signals import announce, organizations_changed, topics_changed
from crosscluster.directory.models import Contact, Offer, Organization, Region, Topic, Video
from crosscluster.events.models import Event
from crosscluster.events.services import announce_changed, refresh_search_text
from crosscluster.inquiries.models import Inquiry, hash_status_token
from crosscluster.news.models import Notice, NoticeAttachment
from crosscluster.news.rendering import render_markdown
from crosscluster.news.services import refresh_search_text as refresh_notice_search_text


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    slug = "thueringen"
    name = "Thüringen"


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"thema-{n}")
    name = factory.Sequence(lambda n: f"Thema {n}")
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def announce(self, create, extracted, **kwargs):
        if create:  # as the admin announces a new topic (the calendar's filter choices list it)
            announce(topics_changed, Topic, [self.pk])


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    region = factory.SubFactory(RegionFactory)
    slug = factory.Sequence(lambda n: f"netzwerk-{n}")
    name = factory.Sequence(lambda n: f"Netzwerk {n}")
    kind = Organization.Kind.NETWORK
    city = "Erfurt"
    website = "https://netzwerk.example.org"
    summary = "Ein Netzwerk für Unternehmen in Thüringen."
    description = "Wir vernetzen Unternehmen und Forschung."
    published = True

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def announce(self, create, extracted, **kwargs):
        if create:  # as its services announce it (the calendar's filter choices list organisers)
            announce(organizations_changed, Organization, [self.pk])


class OfferFactory(DjangoModelFactory):
    class Meta:
        model = Offer
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Angebot {n}")
    description = "Beratung für kleine und mittlere Unternehmen."
    kind = Offer.Kind.ADVICE
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Kontakt {n}")
    role = "Netzwerkmanagerin"
    email = factory.Sequence(lambda n: f"kontakt{n}@example.org")
    phone = "+49 361 123456"
    position = factory.Sequence(lambda n: n)


class VideoFactory(DjangoModelFactory):
    class Meta:
        model = Video

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    url = "https://video.example.org/film.mp4"
    position = factory.Sequence(lambda n: n)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Erika"
    last_name = "Muster"
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)


class InquiryFactory(DjangoModelFactory):
    """An inquiry as stored, without mails or audit entries (use `services.create_inquiry` for those).

    Its status token is unknown; pass `status_token_hash=hash_status_token("…")` to open its status page.
    """

    class Meta:
        model = Inquiry
        skip_postgeneration_save = True

    region = factory.SubFactory(RegionFactory)
    text = "Wir suchen Unterstützung beim Recycling von Kunststoffabfällen aus der Produktion."
    company_name = factory.Sequence(lambda n: f"Muster GmbH {n}")
    contact_name = "Max Mustermann"
    email = factory.Sequence(lambda n: f"firma{n}@example.com")
    phone = "+49 3641 55555"
    company_size = Inquiry.CompanySize.SMALL
    location = "Jena"
    language = "de"
    consent_version = factory.LazyFunction(lambda: settings.INQUIRY_CONSENT_VERSION)
    consent_given_at = factory.LazyFunction(timezone.now)
    status_token_hash = factory.LazyFunction(lambda: hash_status_token(secrets.token_urlsafe(24)))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class EventFactory(DjangoModelFactory):
    """A published, upcoming event of one organisation; its search text and `listed` flag are computed as
    the service does."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Veranstaltung {n}")
    description = "<p>Vorträge und Austausch für Unternehmen.</p>"
    start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    end = factory.LazyAttribute(lambda event: event.start + datetime.timedelta(hours=2))
    venue = "Kaisersaal"
    address = "Futterstraße 15/16, 99084 Erfurt"
    city = "Erfurt"
    format = Event.Format.ON_SITE

    @factory.post_generation
    def organizers(self, create, extracted, **kwargs):
        if create:
            self.organizers.set(extracted or [OrganizationFactory()])

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            refresh_search_text(self)
            announce_changed([self])  # the `listed` flag, as the service announces it


class NoticeFactory(DjangoModelFactory):
    """A published notice of one organisation, public for an hour already; rendered like the service does."""

    class Meta:
        model = Notice
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    region = factory.LazyAttribute(
        lambda notice: notice.organization.region if notice.organization else RegionFactory()
    )
    slug = factory.Sequence(lambda n: f"hinweis-{n}")
    title = factory.Sequence(lambda n: f"Hinweis {n}")
    body = "Neue **Fördermittel** für die Digitalisierung kleiner Unternehmen."
    body_html = factory.LazyAttribute(lambda notice: render_markdown(notice.body))
    valid_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            refresh_notice_search_text(self)


class NoticeAttachmentFactory(DjangoModelFactory):
    class Meta:
        model = NoticeAttachment

    notice = factory.SubFactory(NoticeFactory)
    title = factory.Sequence(lambda n: f"Merkblatt {n}")
    file = factory.django.FileField(filename="merkblatt.pdf", data=b"%PDF-1.4\n%%EOF\n")
    position = factory.Sequence(lambda n: n)


class CooperationProfileFactory(DjangoModelFactory):
    """A published cooperation profile, as stored, without mails or audit entries.

    Its owner token is unknown; pass `owner_token_hash=hash_token("…")` to open the owner's pages.
    """

    class Meta:
        model = CooperationProfile
        skip_postgeneration_save = True

    kind = CooperationProfile.Kind.TECHNOLOGY_OFFER
    title = factory.Sequence(lambda n: f"Recycling von Kunststoffen {n}")
    text = "Wir bieten ein Verfahren zum Recycling von Mischkunststoffen aus der Produktion an."
    language = "de"
    contact_name = "Petra Profil"
    email = factory.Sequence(lambda n: f"owner{n}@firma.example")
    company_name = factory.Sequence(lambda n: f"Profil GmbH {n}")
    state = CooperationProfile.State.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)
    owner_token_hash = factory.LazyFunction(lambda: hash_token(secrets.token_urlsafe(24)))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)
