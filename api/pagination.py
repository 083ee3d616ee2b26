"""The API's page numbers: ``?page=`` must name a page.

DRF reads an empty ``?page=`` as page 1 (``query_params.get(...) or 1``), so a client that
forgot to fill the number in gets the first page and no word of its mistake, while the schema
documents ``page`` as an integer. Here an empty value is a 400 naming the parameter; a number past
the last page stays DRF's 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise ValidationError({self.page_query_param: [_("Give a page number: 1 or more, or 'last'.")]})
        return super().get_page_number(request, paginator)
