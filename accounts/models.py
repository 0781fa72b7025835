"""Users, the organisations they belong to, their roles, and one-time login codes."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import check_division_code, check_phone, check_uscc


class User(AbstractUser):
    """Consumers and merchant staff sign in with their mobile number; staff with a password."""

    phone = models.CharField(
        _("mobile number"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        validators=[check_phone],
    )
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    # Large text and high contrast on every page (适老化), kept with the account.
    large_text = models.BooleanField(_("large text"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.phone or self.username

    def role_kinds(self) -> set[str]:
        return {role.kind for role in self.roles.all()}

    def has_role(self, kind: str) -> bool:
        return self.roles.filter(kind=kind).exists()


class Merchant(models.Model):
    """A business that consumers complain about; extended by the case workflow."""

    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[check_uscc]
    )
    division_code = models.CharField(
        _("administrative division code"), max_length=6, validators=[check_division_code]
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    odr_joined_on = models.DateField(_("joined ODR on"), null=True, blank=True)
    odr_left_on = models.DateField(_("left ODR on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def odr_enrolled_on(self, day) -> bool:
        """Whether the merchant takes part in ODR (answers complaints directly) on that day."""
        if self.odr_joined_on is None or self.odr_joined_on > day:
            return False
        return self.odr_left_on is None or self.odr_left_on > day


class MerchantStore(models.Model):
    """An online store of a merchant: the platform and the store's address there.

    The platform name and store URL are the online operator's identity mark (网店标识).
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="stores")
    platform = models.CharField(_("platform"), max_length=100)
    url = models.URLField(_("store URL"), max_length=500)
    # The URL without scheme, "www." or trailing slash, lower-case: what a search matches.
    url_key = models.CharField(max_length=500, db_index=True, editable=False)

    class Meta:
        verbose_name = _("online store")
        verbose_name_plural = _("online stores")
        constraints = [models.UniqueConstraint(fields=["url_key"], name="store_url_unique")]

    def __str__(self) -> str:
        return f"{self.platform}: {self.url}"

    def save(self, *args, **kwargs) -> None:
        self.url_key = store_url_key(self.url)
        super().save(*args, **kwargs)


def store_url_key(url: str) -> str:
    text = (url or "").strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if text.startswith("www."):
        text = text[4:]
    return text.rstrip("/")


class RegulatorOfficeQuerySet(models.QuerySet):
    def covering(self, code: str) -> "RegulatorOffice | None":
        """The most local office whose division covers ``code`` (county, then city, then
        province), or None."""
        if not code or len(code) != 6:
            return None
        candidates = {code, code[:4] + "00", code[:2] + "0000"}
        offices = {o.division_code: o for o in self.filter(division_code__in=candidates)}
        for candidate in (code, code[:4] + "00", code[:2] + "0000"):
            if candidate in offices:
                return offices[candidate]
        return None


class RegulatorOffice(models.Model):
    """A market-regulation office (市场监督管理局) of one administrative division: the body
    in whose name regulators of that division act, and whose seal its decisions carry.

    Regulators are linked to their office by their role's jurisdiction (the same division
    code), so a regulator's office is found without a second field to keep in step. The
    division code is the office's code: its signing certificate is configured under it
    (documents/services/pki.py)."""

    division_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        unique=True,
        validators=[check_division_code],
    )
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegulatorOfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("regulator office")
        verbose_name_plural = _("regulator offices")
        ordering = ["division_code"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return (self.name_en or self.name) if language.startswith("en") else self.name


class MediationOrganisation(models.Model):
    """A market-regulation bureau or consumer association whose mediators handle cases."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("market regulation bureau")
        ASSOCIATION = "association", _("consumer association")

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BUREAU)
    division_code = models.CharField(
        _("administrative division code"), max_length=6, validators=[check_division_code]
    )

    class Meta:
        verbose_name = _("mediation organisation")
        verbose_name_plural = _("mediation organisations")

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return (self.name_en or self.name) if language.startswith("en") else self.name


class ArbitrationBody(models.Model):
    """An arbitration commission that receives referrals."""

    name = models.CharField(_("name"), max_length=200)
    division_code = models.CharField(
        _("administrative division code"), max_length=6, validators=[check_division_code]
    )

    class Meta:
        verbose_name = _("arbitration body")
        verbose_name_plural = _("arbitration bodies")

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """One role a user holds; a user may hold several. Organisation roles name their body."""

    class Kind(models.TextChoices):
        CONSUMER = "consumer", _("consumer")
        MERCHANT_STAFF = "merchant_staff", _("merchant staff")
        MEDIATOR = "mediator", _("mediator")
        REGULATOR = "regulator", _("regulator")
        ARBITRATION_STAFF = "arbitration_staff", _("arbitration staff")
        ADMINISTRATOR = "administrator", _("administrator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="staff_roles"
    )
    mediation_organisation = models.ForeignKey(
        MediationOrganisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mediator_roles",
    )
    arbitration_body = models.ForeignKey(
        ArbitrationBody,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff_roles",
    )
    jurisdiction = models.CharField(
        _("jurisdiction (division code)"),
        max_length=6,
        blank=True,
        validators=[check_division_code],
    )
    is_head = models.BooleanField(_("head of the organisation"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                name="role_fields_match_kind",
                condition=(
                    Q(kind="merchant_staff", merchant__isnull=False)
                    | Q(kind="mediator", mediation_organisation__isnull=False)
                    | Q(kind="arbitration_staff", arbitration_body__isnull=False)
                    | (Q(kind="regulator") & ~Q(jurisdiction=""))
                    | Q(kind__in=["consumer", "administrator"])
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=Q(kind__in=["consumer", "administrator"]),
                name="role_unique_personal",
            ),
            models.UniqueConstraint(
                fields=["user", "merchant"],
                condition=Q(kind="merchant_staff"),
                name="role_unique_merchant",
            ),
            models.UniqueConstraint(
                fields=["user", "mediation_organisation"],
                condition=Q(kind="mediator"),
                name="role_unique_mediator",
            ),
            models.UniqueConstraint(
                fields=["user", "arbitration_body"],
                condition=Q(kind="arbitration_staff"),
                name="role_unique_arbitration",
            ),
            models.UniqueConstraint(
                fields=["user", "jurisdiction"],
                condition=Q(kind="regulator"),
                name="role_unique_regulator",
            ),
        ]

    def __str__(self) -> str:
        where = self.merchant or self.mediation_organisation or self.arbitration_body
        where = where or self.jurisdiction
        return f"{self.get_kind_display()} ({where})" if where else self.get_kind_display()


class OtpChallenge(models.Model):
    """A one-time login code sent by SMS. Only a keyed hash of the code is stored."""

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=64)
    requested_ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        indexes = [models.Index(fields=["phone", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.created_at:%Y-%m-%d %H:%M}"
