"""The caller's routing preference: the strategy their requests use when a request names none."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from modelyard.api.deps import ApiKeyPrincipal, GatewayDep
from modelyard.models import User

router = APIRouter(tags=["account"])

Strategy = Literal["default", "price", "latency", "throughput", "weighted"]


class RoutingPreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strategy: Strategy | None = Field(description="null: the server's default")


class RoutingPreferenceOut(BaseModel):
    strategy: Strategy | None = Field(description="Your choice; null: the server's default")
    effective: str = Field(description="What your requests use when they name no strategy")


@router.get("/api/account/routing", response_model=RoutingPreferenceOut, summary="Your routing strategy")
async def get_routing(principal: ApiKeyPrincipal, gateway: GatewayDep) -> RoutingPreferenceOut:
    async with gateway.sessions() as session:
        user = await session.get(User, principal.user_id)
        strategy = user.routing_strategy if user is not None else None
    return _out(strategy, gateway.chat.default_strategy)


@router.put(
    "/api/account/routing", response_model=RoutingPreferenceOut, summary="Choose your routing strategy"
)
async def put_routing(
    body: RoutingPreferenceIn, principal: ApiKeyPrincipal, gateway: GatewayDep
) -> RoutingPreferenceOut:
    async with gateway.sessions() as session, session.begin():
        user = await session.get(User, principal.user_id)
        if user is not None:
            user.routing_strategy = body.strategy
    await gateway.announce_change()  # keys carry their owner's strategy in every instance's cache
    return _out(body.strategy, gateway.chat.default_strategy)


def _out(strategy: str | None, default: str) -> RoutingPreferenceOut:
    return RoutingPreferenceOut(strategy=strategy, effective=strategy or default)
