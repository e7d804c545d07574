from rest_framework import viewsets


class AccountViewSet(viewsets.ViewSet):
    def list(self, request):
        pass
