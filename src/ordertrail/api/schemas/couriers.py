"""Request schemas of couriers: a parcel's handover."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from ordertrail.api.schemas.common import Strict, plain


class HandoverIn(Strict):
    """A parcel handed to a courier."""

    courier: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="The courier's code: lower-case letters, digits, '_' or '-' (ups, dhl, fedex, royal_mail…)."
    )
    tracking_number: Annotated[str, StringConstraints(max_length=60)] = Field(
        description="The courier's tracking number; spaces are dropped. Checked where tracking-numbers knows the"
        " courier's formats (a failed check digit is refused), else taken as given."
    )
    service_level: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), plain] | None = None
    tracking_url: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="The courier's page for this parcel (http or https); default: the library's, if it knows."
    )
