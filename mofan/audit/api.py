from rest_framework import viewsets


class AuditLogViewSet(viewsets.ViewSet):
    def list(self, request):
        pass
