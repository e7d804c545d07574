from rest_framework import viewsets


class ImportViewSet(viewsets.ViewSet):
    def list(self, request):
        pass
