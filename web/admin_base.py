"""What every BreachTrack model admin shares: tenancy, roles, and saving through services.

The Django admin is one more interface onto the register, so it obeys the same
rules as the others:

* **Tenancy.** Every queryset is ``visible_to(request.user)``; an object of
  another organisation is a 404 on every view (change, history, a historical
  version, delete) *before* any permission check could answer 403 and so
  reveal that it exists. Foreign-key choices and autocomplete offer only what
  the user may use (objects of organisations where they are privacy officer).
* **Roles, on the server.** A privacy officer of the object's organisation may
  add and change register data; legal and viewers read (history included).
  Organisations, memberships, users and authorities are managed by superusers.
  Nobody deletes anything: history is evidence.
* **Services.** Every add/change form carries a required reason, and
  ``save_model`` hands the cleaned values to the service with
  ``actor=request.user`` and that reason. A refusal must reach the form while
  it is still being validated, so the form's ``clean()`` first runs the same
  service call in a transaction that is always rolled back: a refusal
  (``ValidationError``/``PermissionDenied``) becomes form errors and nothing is
  saved; otherwise ``save_model`` makes the call for real.

Only documented hooks of Django's admin and forms are used (``get_form``,
``save_model``, ``change_view``, ``clean()``, ``add_error()``…), so that a Django
upgrade does not silently change how a change is validated or saved;
``tests/test_admin_public_api.py`` keeps it so.
"""

from __future__ import annotations

import contextvars
import copy

from django import forms
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from organisations.services import EDIT_ROLES
from organisations.tenancy import active_memberships, organisation_ids
from web.forms import InstantFieldsMixin, ReasonFormMixin

# Set on the request while a historical version is shown: everything read-only.
HISTORICAL_VERSION_ATTR = "_breachtrack_historical_version"
# The request a change form is being rendered for: read-only display methods
# (which Django calls with the object only) use it to offer only allowed links.
_rendering_request = contextvars.ContextVar("admin_rendering_request", default=None)


def rendering_request():
    return _rendering_request.get()


def scope(queryset, user, lookup: str | None, roles=None):
    """The rows of ``queryset`` that ``user`` may see (with one of ``roles``).

    Tenant models answer through their manager's ``visible_to``; the others
    (organisations, parties, memberships) apply the same rule by ``lookup``,
    the path from the model to its organisation. ``lookup=None`` marks shared
    reference data, visible to every member.
    """
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(user, roles)
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if lookup is None or (user.is_superuser and roles is None):
        return queryset
    return queryset.filter(**{f"{lookup}__in": organisation_ids(user, roles)})


def is_superuser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def is_officer_somewhere(user) -> bool:
    return active_memberships(user).filter(role__in=list(EDIT_ROLES)).exists()


class AdminServiceForm(InstantFieldsMixin, ReasonFormMixin, forms.ModelForm):
    """The base of every admin form: instants, a change reason, and refusals shown as errors.

    The admin sets ``user``, ``instant_fields`` and ``service_check`` on a
    subclass per request (``BreachTrackAdmin.get_form``). ``service_check(form,
    obj)`` makes the service call that ``save_model`` will make; ``clean()``
    runs it in a transaction that is rolled back, to learn whether the service
    would refuse.
    """

    service_check = None

    def clean(self):
        cleaned_data = super().clean()
        if self.service_check is not None and not self.errors:
            self.check_with_service()
        return cleaned_data

    def check_with_service(self):
        """Run the service call on a copy of the instance and undo it; a refusal becomes form errors."""
        # The copy carries the entered values, as the instance will when
        # save_model receives it; the instance itself is left to the ModelForm.
        target = copy.copy(self.instance)
        for name, value in self.all_values().items():
            setattr(target, name, value)
        using = router.db_for_write(self._meta.model)
        try:
            with transaction.atomic(using=using):
                self.service_check(self, target)
                transaction.set_rollback(True, using=using)
        except (ValidationError, PermissionDenied) as refusal:
            self.add_refusal(refusal)

    def add_refusal(self, error):
        if isinstance(error, PermissionDenied):
            self.add_error(None, str(error) or _("Your role does not allow this change."))
            return
        self.add_error(None, error if isinstance(error, ValidationError) else ValidationError(str(error)))
        if not self.errors:  # a refusal must never let the form through
            self.add_error(None, _("The change was refused."))

    def add_error(self, field, error):
        # Model.clean() and the services may name a field this form does not
        # show (read-only, or a zone stored next to an instant): put it where a
        # person sees it. The same message twice on one field is shown once
        # (the service and the model validation may both find it).
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if field is not None:
            if hasattr(error, "error_dict"):
                return super().add_error(field, error)  # Django's TypeError
            error = ValidationError({field: error.error_list})
        error = self._without_repeats(self._map_error_fields(error))
        if error is not None:
            super().add_error(None, error)

    def _without_repeats(self, error: ValidationError) -> ValidationError | None:
        fresh: dict[str, list] = {}
        for name, messages in error.error_dict.items():
            shown = list(self.errors.get(name, []))
            for message in messages:
                text = "; ".join(message.messages)
                if text not in shown:
                    shown.append(text)
                    fresh.setdefault(name, []).append(message)
        return ValidationError(fresh) if fresh else None

    def _map_error_fields(self, error: ValidationError) -> ValidationError:
        if not hasattr(error, "error_dict"):
            return ValidationError({NON_FIELD_ERRORS: error.error_list})
        mapped: dict[str, list] = {}
        for name, messages in error.error_dict.items():
            target = self._form_field_for(name)
            if target is None and name != NON_FIELD_ERRORS:
                label = self._label_for(name)
                messages = [
                    ValidationError(f"{label}: {'; '.join(message.messages)}" if label else message)
                    for message in messages
                ]
            mapped.setdefault(target or NON_FIELD_ERRORS, []).extend(messages)
        return ValidationError(mapped)

    def _form_field_for(self, name: str) -> str | None:
        if name == "reason":
            name = "change_reason"
        if name.endswith("_tz") and f"{name[:-3]}_at" in self.fields:
            name = f"{name[:-3]}_at"
        return name if name in self.fields and name != NON_FIELD_ERRORS else None

    def _label_for(self, name: str) -> str | None:
        try:
            label = getattr(self._meta.model._meta.get_field(name), "verbose_name", None)
        except FieldDoesNotExist:
            label = None
        return str(label) if label else None  # e.g. "awareness": the message says it all

    # --- What to hand to the service -------------------------------------
    @property
    def reason(self) -> str:
        return self.cleaned_data["change_reason"]

    def model_values(self, names, exclude=()) -> dict:
        """The cleaned model values of the form fields ``names``, instants with their zones."""
        values = {}
        for name in names:
            if name in exclude or not self._is_model_field(name):
                continue
            values[name] = self.cleaned_data[name]
            stem = name[:-3] if name.endswith("_at") else None
            if stem in self.instant_fields:
                values[f"{stem}_tz"] = self.cleaned_data.get(f"{stem}_tz", "")
        return values

    def changed_values(self, exclude=()) -> dict:
        """Only what the person changed, mapped back to model field names."""
        return self.model_values(self.changed_data, exclude)

    def all_values(self, exclude=()) -> dict:
        return self.model_values(self.fields, exclude)

    def _is_model_field(self, name: str) -> bool:
        if name not in self.cleaned_data:
            return False
        try:
            field = self._meta.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return field.concrete and field.editable


class BreachTrackAdmin(SimpleHistoryAdmin):
    """Tenancy, roles and service saves for one model; see the module docstring.

    Subclasses set ``organisation_lookup`` (the path to the owning
    organisation; ``None`` for shared reference data), ``managed_by_superusers``
    and ``instant_fields``, and implement ``save_through_service``.
    """

    form = AdminServiceForm
    organisation_lookup: str | None = "organisation"
    managed_by_superusers = False
    instant_fields: tuple[str, ...] = ()
    add_fieldsets = None
    # Fields shown on the change page only, and read-only there.
    fixed_after_creation: tuple[str, ...] = ()
    # Fields shown as "now" (related rows): left out of a historical version.
    live_only_fields: tuple[str, ...] = ()
    # Model fields shown through a friendlier display method when read-only.
    readonly_display: dict[str, str] = {}
    view_on_site = False
    save_as = False
    actions = None

    # --- Tenancy -----------------------------------------------------------
    def scoped(self, queryset, user, roles=None):
        return scope(queryset, user, self.organisation_lookup, roles)

    def get_queryset(self, request):
        return self.scoped(super().get_queryset(request), request.user)

    def get_choosable_queryset(self, request):
        """What a person may pick in a form that points at this model."""
        queryset = self.model._default_manager.all()
        if is_superuser(request.user) or self.organisation_lookup is None:
            return queryset
        return self.scoped(queryset, request.user, roles=EDIT_ROLES)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            related_model = db_field.remote_field.model
            related_admin = (
                self.admin_site.get_model_admin(related_model) if self.admin_site.is_registered(related_model) else None
            )
            if isinstance(related_admin, BreachTrackAdmin):
                kwargs["queryset"] = related_admin.get_choosable_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            # Autocomplete only ever feeds a form: offer what may be chosen there.
            queryset = queryset.filter(pk__in=self.get_choosable_queryset(request).values("pk"))
        return queryset, may_have_duplicates

    def _visible_object_or_404(self, request, object_id):
        # By primary key: every foreign key here points at one, so that is the
        # only field the admin lets a popup name instead (and the view itself
        # refuses any other).
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            # Another organisation's object and a missing one look the same.
            raise Http404(_("Not found."))
        return obj

    # --- Roles -------------------------------------------------------------
    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        if not self.admin_site.has_permission(request):
            return False
        if obj is None or is_superuser(request.user):
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        if not self.admin_site.has_permission(request):
            return False
        if is_superuser(request.user):
            return True
        return not self.managed_by_superusers and is_officer_somewhere(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.editable_after_creation(None) and self.has_add_permission(request)
        if getattr(request, HISTORICAL_VERSION_ATTR, False) or not self.editable_after_creation(obj):
            return False
        if not self.admin_site.has_permission(request):
            return False
        if is_superuser(request.user):
            return True
        if self.managed_by_superusers:
            return False
        return self.scoped(self.model._default_manager.filter(pk=obj.pk), request.user, roles=EDIT_ROLES).exists()

    def has_delete_permission(self, request, obj=None):
        return False  # evidence is never deleted; people are deactivated

    def editable_after_creation(self, obj) -> bool:
        """False for append-only rows (estimates) and rows without a correction service."""
        return True

    def may_save(self, request, obj) -> bool:
        return self.has_add_permission(request) if obj is None else self.has_change_permission(request, obj)

    # --- Views: 404 before anything else ---------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        # Render now, while display methods can still ask rendering_request().
        token = _rendering_request.set(request)
        try:
            return response.render()
        finally:
            _rendering_request.reset(token)

    def delete_view(self, request, object_id, extra_context=None):
        self._visible_object_or_404(request, object_id)
        raise PermissionDenied

    def history_view(self, request, object_id, extra_context=None):
        # SimpleHistoryAdmin falls back to the history table for objects that
        # get_queryset does not return, which would show another tenant's
        # history: only objects visible now have a history view.
        obj = self._visible_object_or_404(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._visible_object_or_404(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        if request.method != "GET":
            raise PermissionDenied  # a historical version is evidence: it is never "reverted"
        setattr(request, HISTORICAL_VERSION_ATTR, True)
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- Forms -------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        if obj is None and self.add_fieldsets is not None:
            fieldsets = self.add_fieldsets
        elif self.fieldsets is not None:
            fieldsets = self.fieldsets
        else:
            hidden = {"change_reason", *(f"{stem}_tz" for stem in self.instant_fields)}
            fieldsets = [(None, {"fields": [name for name in self.get_fields(request, obj) if name not in hidden]})]
        historical = getattr(request, HISTORICAL_VERSION_ATTR, False)
        writable = not historical and self.may_save(request, obj)
        result = []
        for title, options in fieldsets:
            names = [self._displayed_name(name, writable) for name in options["fields"]]
            if historical:
                names = [name for name in names if name not in self.live_only_fields]
            if names:
                result.append((title, {**options, "fields": names}))
        if writable:
            result.append((_("Reason"), {"fields": ["change_reason"]}))
        return result

    def _displayed_name(self, name, writable):
        return name if writable else self.readonly_display.get(name, name)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [name for name in self.fixed_after_creation if name not in readonly]
        if getattr(request, HISTORICAL_VERSION_ATTR, False):
            readonly += [name for name in flatten_fieldsets(self.get_fieldsets(request, obj)) if name not in readonly]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        def service_check(form, target):
            self.save_through_service(request, target, form, change)

        attrs = {
            "user": request.user,
            "instant_fields": self.instant_fields,
            "service_check": staticmethod(service_check),
        }
        return type(form_class.__name__, (form_class,), attrs)

    # --- Saving through services -------------------------------------------
    def save_model(self, request, obj, form, change):
        # The form's clean() made this same call and the service accepted it;
        # should it refuse now all the same, the error ends the request and
        # the view's transaction leaves nothing of the change behind.
        saved = self.save_through_service(request, obj, form, change)
        if saved is not None and saved is not obj:
            obj.pk = saved.pk
            obj.refresh_from_db()
        obj._state.adding = False

    def save_through_service(self, request, obj, form, change):
        """Call the service for this add or change and return the saved object.

        Called twice per save: from the form's ``clean()``, on a copy of ``obj``
        in a transaction that is rolled back (a refusal becomes form errors),
        then from ``save_model`` for real. So it acts only through services
        and on ``obj``; anything shown to the person afterwards (a message)
        belongs in ``response_add``/``response_change``.
        """
        raise NotImplementedError(f"{type(self).__name__} must save through a service")

    def save_related(self, request, form, formsets, change):
        # No many-to-many fields or inlines are edited here: services write everything.
        pass

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        reason_label = str(form.fields["change_reason"].label) if "change_reason" in form.fields else None
        for entry in message:
            changed = entry.get("changed")
            if changed and reason_label in changed.get("fields", []):
                changed["fields"] = [name for name in changed["fields"] if name != reason_label]
        return [entry for entry in message if not (entry.get("changed") is not None and not entry["changed"]["fields"])]
