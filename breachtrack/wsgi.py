import os

from django.core.wsgi import get_wsgi_application

from breachtrack.serving import tune_garbage_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
application = get_wsgi_application()
tune_garbage_collector()  # the application is loaded: see breachtrack.serving
