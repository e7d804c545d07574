from rest_framework import viewsets


class PersonViewSet(viewsets.ViewSet):
    def list(self, request):
        pass


class UnitViewSet(viewsets.ViewSet):
    def list(self, request):
        pass
