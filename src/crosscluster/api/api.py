from ninja import NinjaAPI

api = NinjaAPI(title="Crosscluster API", version="1", urls_namespace="api")
