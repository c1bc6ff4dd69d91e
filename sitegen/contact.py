"""Contact settings (part of the config stage) and the links that answer a page.

``parse_contact`` validates the ``contact:`` section of ``sitegen.yaml`` into a typed
:class:`Contact`: the creator's e-mail, the other channels they chose (each with its
deep link: signal.me, wa.me, t.me, matrix.to...) and the contact form. ``channel``
does the same for one channel of a person's front matter. ``message_links`` turns a
contact into the links of a reply block, with the subject prefilled where the
channel allows it. Nothing here reads files or imports the rest of the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from collections.abc import Callable, Mapping

from .errors import Problem
from .urls import mailto, percent_encode, split_url

EMAIL_RE = re.compile(r"^[^@\s<>\"'(),;:\[\]\\]+@[^@\s<>\"'(),;:\[\]\\]+\.[^@\s<>\"'(),;:\[\]\\]+$")
_PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_TELEGRAM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
_MATRIX_RE = re.compile(r"^@[^:\s/]+:[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:[0-9]{1,5})?$")
_FEDIVERSE_RE = re.compile(r"^@?([A-Za-z0-9_.-]+)@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")

#: Channel kinds a creator or a person may give, with what each expects (for hints).
CHANNELS: Mapping[str, str] = MappingProxyType({
    "email": "an e-mail address, e.g. hello@example.org",
    "signal": "a phone number in international form, e.g. '+34 600 000 000', or a https://signal.me/ link",
    "whatsapp": "a phone number in international form, e.g. '+34 600 000 000'",
    "telegram": "a Telegram username, e.g. @smallrooms",
    "matrix": "a Matrix ID, e.g. @marta:matrix.example",
    "fediverse": "a fediverse handle, e.g. @marta@social.example, or the profile's https URL",
    "mastodon": "a Mastodon handle, e.g. @marta@social.example, or the profile's https URL",
    "phone": "a phone number in international form, e.g. '+34 600 000 000'",
    "links": "a list of labelled links, e.g. - {label: Office hours, url: https://example.org/hours}",
})
FORM_KEYS = ("action", "method", "fields", "honeypot", "thanks", "thanks_field")
FIELD_TYPES = ("text", "email", "tel", "url", "textarea")
#: What a field of the form may set (``send_as``: the name posted, e.g. Staticman's ``fields[message]``).
FIELD_KEYS = ("name", "label", "type", "required", "autocomplete", "help", "send_as")


@dataclass(frozen=True, slots=True)
class Channel:
    """One way to reach someone: its kind, what a reader sees, and the link."""

    kind: str  # "email", "signal", ..., "link" for a labelled URL
    value: str  # shown text: the address, number or handle as written
    url: str  # the deep link (mailto:, https://signal.me/..., tel:...)
    label: str | None = None  # only for labelled links; other kinds are named by the theme

    @property
    def name_key(self) -> str:
        """The interface string that names this kind of channel (``channel_signal``)."""
        return f"channel_{self.kind}"

    def with_text(self, subject: str, body: str = "") -> str:
        """This channel's link with a message prefilled, where the channel allows it."""
        if self.kind == "email":
            return mailto(self.value, subject, body)
        if self.kind == "whatsapp":
            text = subject + ("\n\n" + body if body else "")
            return f"{self.url}?text={percent_encode(text)}"
        return self.url


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of the contact form."""

    name: str  # the name sent to the endpoint
    type: str  # text, email, tel, url or textarea
    required: bool
    autocomplete: str  # the HTML autocomplete token ("name", "email", "off"...)
    label: str | None = None  # None: the theme's label for a known field
    key: str = ""  # the known field it is (name, email, subject, message, phone) or ""
    help: str | None = None

    @property
    def label_key(self) -> str:
        """The interface string of a known field's label (``form_field_email``)."""
        return f"form_field_{self.key}"


@dataclass(frozen=True, slots=True)
class ContactForm:
    """Where the contact form posts, and what it asks."""

    action: str
    method: str
    fields: tuple[FormField, ...]
    honeypot: str
    thanks: str | None = None  # a site path or an https URL
    thanks_field: str = "_next"


@dataclass(frozen=True, slots=True)
class Contact:
    """How readers reach the creator."""

    email: str | None = None
    channels: tuple[Channel, ...] = ()  # every channel but e-mail, in the order given
    form: ContactForm | None = None

    @property
    def email_channel(self) -> Channel | None:
        """The creator's e-mail as a channel, if they gave one."""
        return Channel("email", self.email, mailto(self.email)) if self.email else None

    @property
    def all_channels(self) -> tuple[Channel, ...]:
        """E-mail first, then the other channels."""
        first = self.email_channel
        return ((first,) if first else ()) + self.channels

    @property
    def reachable(self) -> bool:
        """True when there is any way to write to the creator."""
        return bool(self.email or self.channels or self.form)


#: The fields a form may name by a word, with their HTML type, required flag and autocomplete.
KNOWN_FIELDS: Mapping[str, tuple[str, bool, str]] = MappingProxyType({
    "name": ("text", True, "name"),
    "email": ("email", True, "email"),
    "subject": ("text", False, "off"),
    "message": ("textarea", True, "off"),
    "phone": ("tel", False, "tel"),
})
DEFAULT_FIELDS = ("name", "email", "message")

Report = Callable[[str, str, "str | None"], None]  # (key, message, hint)


def _phone(value: str) -> str | None:
    digits = re.sub(r"[\s().-]", "", value)
    return digits if _PHONE_RE.match(digits) else None


def _https(value: str) -> bool:
    parts = split_url(value)  # None for a malformed URL such as https://[::1
    return parts is not None and parts.scheme == "https" and bool(parts.netloc)


def channel(kind: str, value: Any) -> Channel | str:
    """The channel ``kind`` with ``value``, or a message saying what is wrong with it."""
    if kind not in CHANNELS or kind == "links":
        return f"is not a contact channel (use one of: {', '.join(k for k in CHANNELS if k != 'links')})"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return f"must be text: {CHANNELS[kind]}"
    text = str(value).strip()
    if kind == "email":
        return Channel(kind, text, mailto(text)) if EMAIL_RE.match(text) else f"is not an e-mail address (got {text!r})"
    if kind == "signal":
        if text.startswith(("https://signal.me/", "https://signal.group/")):
            return Channel(kind, text, text)
        number = _phone(text)
        return (Channel(kind, text, f"https://signal.me/#p/{number}") if number
                else f"must be {CHANNELS[kind]} (got {text!r})")
    if kind in ("whatsapp", "phone"):
        number = _phone(text)
        if not number:
            return f"must be {CHANNELS[kind]} (got {text!r})"
        return Channel(kind, text, f"https://wa.me/{number[1:]}" if kind == "whatsapp" else f"tel:{number}")
    if kind == "telegram":
        name = text.removeprefix("@").removeprefix("https://t.me/")
        return (Channel(kind, "@" + name, f"https://t.me/{name}") if _TELEGRAM_RE.match(name)
                else f"must be {CHANNELS[kind]} (got {text!r})")
    if kind == "matrix":
        return (Channel(kind, text, f"https://matrix.to/#/{text}") if _MATRIX_RE.match(text)
                else f"must be {CHANNELS[kind]} (got {text!r})")
    # fediverse / mastodon
    if _https(text):
        return Channel(kind, text, text)
    match = _FEDIVERSE_RE.match(text)
    if not match:
        return f"must be {CHANNELS[kind]} (got {text!r})"
    user, host = match.group(1), match.group(2)
    return Channel(kind, f"@{user}@{host}", f"https://{host}/@{user}")


def parse_contact(value: dict[str, Any], report: Report, fallback_email: str | None = None) -> Contact:
    """Validate the ``contact:`` mapping; every problem goes to ``report(key, message, hint)``.

    ``fallback_email`` (the author's) is used when ``contact.email`` is not given.
    """
    email: str | None = None
    channels: list[Channel] = []
    form: ContactForm | None = None
    for kind, raw in value.items():
        key = f"contact.{kind}"
        if kind == "form":
            form = _form(raw, report) if raw is not None else None
        elif kind == "links":
            channels += _labelled_links(raw, report)
        elif raw is None:
            continue
        else:
            found = channel(str(kind), raw)
            if isinstance(found, str):
                report(key, found, "the channels are: " + "; ".join(f"{k}: {v}" for k, v in CHANNELS.items())
                       if kind not in CHANNELS else f"e.g. {kind}: {CHANNELS[kind].split('e.g. ')[-1]}")
            elif found.kind == "email":
                email = found.value
            else:
                channels.append(found)
    return Contact(email=email or fallback_email, channels=tuple(channels), form=form)


def _labelled_links(raw: Any, report: Report) -> list[Channel]:
    if not isinstance(raw, list):
        report("contact.links", "must be a list of label/url entries", f"e.g. {CHANNELS['links'].split('e.g. ')[-1]}")
        return []
    found = []
    for item in raw:
        if not (isinstance(item, dict) and isinstance(item.get("label"), str) and isinstance(item.get("url"), str)):
            report("contact.links", f"entries need a 'label' and a 'url' (got {item!r})",
                   "e.g. - {label: Office hours, url: https://example.org/hours}")
            continue
        if not _https(item["url"]) and not item["url"].startswith("http://"):
            report("contact.links", f"url must be an http(s) URL (got {item['url']!r})", None)
            continue
        found.append(Channel("link", item["url"], item["url"], label=item["label"].strip()))
    return found


def _form(raw: Any, report: Report) -> ContactForm | None:
    if not isinstance(raw, dict):
        report("contact.form", "must be a mapping with action, method, fields, honeypot, thanks",
               "e.g. form: {action: https://formspree.io/f/abcd1234, honeypot: _gotcha}")
        return None
    problems = _Counter(report)
    for key in raw:
        if key not in FORM_KEYS:
            problems(f"contact.form.{key}", "is not a form setting", "a form has: " + ", ".join(FORM_KEYS))
    action = raw.get("action")
    if not isinstance(action, str) or not action.strip():
        problems("contact.form.action", "is missing: the https address your form service gave you",
                        "e.g. action: https://formspree.io/f/abcd1234")
    elif not _https(action.strip()):
        problems("contact.form.action", f"must be an https URL (got {action!r})",
                        "forms must post over https so messages are not sent in the clear")
    method = raw.get("method", "post")
    if not isinstance(method, str) or method.lower() not in ("post", "get"):
        problems("contact.form.method", f"must be post or get (got {method!r})", "most services want post")
        method = "post"
    honeypot = raw.get("honeypot", "_gotcha")
    if not isinstance(honeypot, str) or not honeypot.strip():
        problems("contact.form.honeypot", "must be the field name your service treats as spam",
                 "Formspree uses _gotcha")
        honeypot = "_gotcha"
    thanks = raw.get("thanks")
    if thanks is not None and (not isinstance(thanks, str)
                               or not (_https(thanks) or (thanks.startswith("/") and not thanks.startswith("//")))):
        problems("contact.form.thanks", f"must be a site path like /thanks/ or an https URL (got {thanks!r})", None)
        thanks = None
    thanks_field = raw.get("thanks_field", "_next")
    if not isinstance(thanks_field, str) or not thanks_field:
        problems("contact.form.thanks_field", "must be a field name, e.g. _next", None)
        thanks_field = "_next"
    fields = _fields(raw.get("fields"), problems)
    if problems.count or not isinstance(action, str):
        return None
    if honeypot in {f.name for f in fields}:
        report("contact.form.honeypot", f"is also the name of a field of the form ({honeypot!r})",
               "choose a name no real field uses")
        return None
    return ContactForm(action=action.strip(), method=method.lower(), fields=fields, honeypot=honeypot.strip(),
                       thanks=thanks, thanks_field=thanks_field)


class _Counter:
    """Passes problems on and counts them."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.count = 0

    def __call__(self, key: str, message: str, hint: str | None) -> None:
        self.count += 1
        self.report(key, message, hint)


def _fields(raw: Any, report: Report) -> tuple[FormField, ...]:
    if raw is None:
        raw = list(DEFAULT_FIELDS)
    if not isinstance(raw, list) or not raw:
        report("contact.form.fields", "must be a list of fields", "e.g. fields: [name, email, message]")
        return ()
    fields: list[FormField] = []
    for item in raw:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            report("contact.form.fields",
                   f"entries must be a word ({', '.join(KNOWN_FIELDS)}) or a mapping with a name (got {item!r})",
                   "e.g. - {name: city, label: Your city, type: text, required: false}")
            continue
        name = item["name"].strip()
        unknown = [str(k) for k in item if k not in FIELD_KEYS]
        if unknown:
            report("contact.form.fields", f"has a field {name!r} with unknown settings: {', '.join(unknown)}",
                   "a field has: " + ", ".join(FIELD_KEYS))
            continue
        known = KNOWN_FIELDS.get(name)
        label = item.get("label")
        if known is None and not isinstance(label, str):
            report("contact.form.fields",
                   f"has a field {name!r} without a 'label' (only {', '.join(KNOWN_FIELDS)} have one built in)",
                   f"e.g. - {{name: {name}, label: ...}}")
            continue
        ftype = item.get("type", known[0] if known else "text")
        if ftype not in FIELD_TYPES:
            report("contact.form.fields",
                   f"has a field {name!r} of type {ftype!r}; use one of {', '.join(FIELD_TYPES)}", None)
            continue
        required = item.get("required", known[1] if known else False)
        if not isinstance(required, bool):
            report("contact.form.fields", f"has a field {name!r} whose 'required' is not true or false", None)
            continue
        autocomplete = item.get("autocomplete", known[2] if known else "off")
        if not isinstance(autocomplete, str) or not autocomplete.strip():
            report("contact.form.fields",
                   f"has a field {name!r} whose 'autocomplete' is not a token like name or email", None)
            continue
        help_text = item.get("help")
        send_as = item.get("send_as", name)
        if not isinstance(send_as, str) or not send_as.strip():
            report("contact.form.fields", f"has a field {name!r} whose 'send_as' is not a field name",
                   'e.g. send_as: "fields[message]" for Staticman')
            continue
        if send_as in {f.name for f in fields}:
            report("contact.form.fields", f"lists the field {send_as!r} twice", None)
            continue
        fields.append(FormField(name=send_as.strip(), type=ftype, required=required,
                                autocomplete=str(autocomplete), label=label if isinstance(label, str) else None,
                                key=name if known else "", help=help_text if isinstance(help_text, str) else None))
    return tuple(fields)


def form_warnings(contact: Contact) -> list[Problem]:
    """One warning when no contact form is configured (the contact page then lists the
    channels only)."""
    if contact.form is not None:
        return []
    return [Problem(
        "no contact form is configured: /contact/ lists your channels only",
        path="sitegen.yaml", severity="warning",
        hint="add contact.form with the action URL of a form service (e.g. Formspree) to offer a form "
        "that works without JavaScript; see the README, 'Contact'",
    )]
