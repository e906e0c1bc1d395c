"""django-allauth's account emails (address confirmation, password reset) through the site's mail
pipeline, and the owner's word for the addresses of the staff they create."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from core import mail


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render the account email as allauth does; send it as every email of the site leaves."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        mail.send_one(message)

    def pre_login(self, request, user, **kwargs):
        """Let staff in without confirming their address; readers confirm theirs first.

        Readers must confirm their address (ACCOUNT_EMAIL_VERIFICATION = "mandatory"), so that
        sign-up can answer alike for a free and a taken address. Staff accounts are made by the
        owner (createsuperuser, the admin), who typed their address: allauth has no record of it,
        and would hold them at the door until a confirmation email arrives, which on a new site
        with no mail set up it never does.
        """
        if user.is_staff and user.is_active and user.email:
            staff_address_vouch(user)
        return super().pre_login(request, user, **kwargs)


def staff_address_vouch(user) -> None:
    """Record a staff member's own address as confirmed, unless another account confirmed it."""
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        address = EmailAddress(user=user, email=user.email.lower(), primary=not has_primary)
    if not address.verified and address.can_set_verified():
        address.verified = True
        address.save()
