from django.http import JsonResponse


def incident_list(request):
    raise NotImplementedError


def incident_detail(request, pk):
    raise NotImplementedError


def healthz(request):
    return JsonResponse({"status": "ok"})
