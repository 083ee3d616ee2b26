"""Our own date formats per language (settings.FORMAT_MODULE_PATH), over Django's.

``INSTANT_FORMAT`` is how an instant reads on every page (``web.templatetags.register``):
the weekday matters to a reader, since hour-based deadlines ignore weekends. Django's ``M`` gives
a title-cased month ("Aug") in every language; Dutch writes it in lower case ("aug"), hence one
format per language.
"""
