import os

from django.core.asgi import get_asgi_application

from breachtrack.serving import tune_garbage_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
application = get_asgi_application()
tune_garbage_collector()  # the application is loaded: see breachtrack.serving
