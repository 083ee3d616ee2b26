"""The incident page's forms, built the cheap way, show and accept exactly what the long way did:
LocalInstantField(frequent_only=True) against the full field with its zones cut afterwards, and
PlainChoices against a plain list of choices (same HTML, same validation)."""

from django import forms

from web.forms import LocalInstantField, LongSelect, PlainChoices, zone_choices

PAIRS = [("", "the whole incident"), (7, "Practice <7> & Co"), (8, "Praktijk “8”")]


def _cut_the_long_way(zone_name: str) -> LocalInstantField:
    field = LocalInstantField(label="At", required=True, default_zone=zone_name)
    frequent = zone_choices(zone_name)[0][1]
    field.fields[1].choices = frequent
    field.widget.widgets[1].choices = frequent
    return field


def test_a_frequent_only_instant_field_renders_and_cleans_as_the_cut_full_one():
    for zone_name in ("Europe/Amsterdam", "America/New_York", "UTC"):
        cheap = LocalInstantField(label="At", required=True, default_zone=zone_name, frequent_only=True)
        cut = _cut_the_long_way(zone_name)
        assert cheap.widget.render("at", None) == cut.widget.render("at", None)
        assert list(cheap.fields[1].choices) == list(cut.fields[1].choices)
        value = ["2025-07-04T10:15", zone_name, ""]
        assert cheap.clean(value) == cut.clean(value)


def test_plain_choices_render_and_validate_as_a_list():
    def field(choices):
        made = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, widget=LongSelect)
        made.choices = choices
        return made

    cheap, plain = field(PlainChoices(list(PAIRS))), field(list(PAIRS))
    assert cheap.widget.render("party", 8) == plain.widget.render("party", 8)
    assert 'value="8" selected' in cheap.widget.render("party", 8)
    assert len(cheap.choices) == 3
    assert cheap.clean("7") == plain.clean("7") == 7
    for refused in ("9", "x"):
        for one in (cheap, plain):
            try:
                one.clean(refused)
            except forms.ValidationError as error:
                assert error.code == "invalid_choice"
            else:
                raise AssertionError(f"{refused!r} was accepted")
