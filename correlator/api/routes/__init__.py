"""The API's routers, one module per resource; each ``router(ctx)`` returns a FastAPI APIRouter."""
