"""Where a webhook may be sent: public addresses only, unless an administrator allow-lists a host.

A webhook endpoint's URL is typed in by a privacy officer, and the worker that sends to it sits
inside the installation's network: without a rule, an endpoint could make the worker POST to the
database host, a cloud metadata service (169.254.169.254) or anything else only the server can
reach. So:

* an address is **public** unless it is private, loopback, link-local, multicast, reserved,
  unspecified or otherwise not global, and the same holds for an IPv4 address carried inside an
  IPv6 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64);
* when an endpoint is **saved**, a URL whose host is a literal non-public address or a
  ``localhost`` name is refused (``validate_webhook_url``, notifications.models.delivery). Host
  names are not looked up then: what a name resolves to can change after it was saved;
* when a webhook is **sent**, the host name is resolved, every address it resolves to is
  checked, and the connection goes to an address that was checked (notifications.webhooks), so
  a name that resolves to a public address for the check and to a private one for the connection
  (DNS rebinding) gets nowhere;
* a host an administrator lists in ``BREACHTRACK_WEBHOOK_ALLOWED_HOSTS`` (a SIEM on the internal
  network) skips the address check, at both moments. The list holds host names (or literal
  addresses) exactly as they appear in the endpoint's URL, compared without case.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address a gateway reaches.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def normalised_host(host: str) -> str:
    """Lower case, without the brackets of an IPv6 literal and without a trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def allowed_hosts() -> frozenset[str]:
    return frozenset(normalised_host(host) for host in getattr(settings, "BREACHTRACK_WEBHOOK_ALLOWED_HOSTS", ()))


def is_allowed_host(host: str) -> bool:
    """An administrator listed this host: the address check is skipped for it."""
    return normalised_host(host) in allowed_hosts()


def parse_address(value: str) -> IPAddress | None:
    """The address ``value`` spells (an IPv6 zone such as ``%eth0`` dropped), or None for a name."""
    try:
        return ipaddress.ip_address(normalised_host(value).split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and leads to (mapped, 6to4, Teredo, NAT64)."""
    carried = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        carried.extend(address.teredo)
    if address in NAT64:
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [ipv4 for ipv4 in carried if ipv4 is not None]


def is_public_address(address: IPAddress) -> bool:
    """True for an address on the public internet; False for anything the server alone reaches."""
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return not address.is_site_local and all(is_public_address(ipv4) for ipv4 in embedded_ipv4(address))
    return True


def is_local_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean this machine (no lookup needed to know it)."""
    name = normalised_host(host)
    return name == "localhost" or name.endswith(".localhost")


def is_refused_host(host: str) -> bool:
    """The check at save time: a literal non-public address or a localhost name, unless allow-listed."""
    if is_allowed_host(host):
        return False
    address = parse_address(host)
    if address is not None:
        return not is_public_address(address)
    return is_local_name(host)
