from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, synonym

from modelyard.db.base import Base, UTCDateTime


class RequestSums:
    """The counts and sums every rollup row keeps for the requests it covers (a mixin of columns)."""

    requests: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    ttft_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    ttft_count: Mapped[int] = mapped_column(Integer, default=0)


class UsageHourly(RequestSums, Base):
    """Request counts and sums per hour, user, key, model and provider, kept current in the same
    transaction as the requests' charges, so statistics and rankings never scan the raw records."""

    __tablename__ = "usage_hourly"
    # A user's (or key's) statistics read one user's hours; everyone's read hours (the primary key).
    __table_args__ = (Index("ix_usage_hourly_user_hour", "user_id", "hour"),)

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(200), primary_key=True)  # "" when no channel answered


class ModelStats(RequestSums, Base):
    """Everyone's requests per hour, model and provider: what rankings, site-wide statistics and the
    catalogue's popularity sorts read (far fewer rows than `usage_hourly`, which splits by user and key)."""

    __tablename__ = "model_stats"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    model_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(200), primary_key=True)


class ModelStatsDaily(RequestSums, Base):
    """`model_stats` summed per UTC day: a month of rankings reads 30 rows per model and provider, not 720."""

    __tablename__ = "model_stats_daily"

    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    model_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Queries written for the hourly rollups read this one unchanged.
    hour = synonym("day")


class ModelHistogram(Base):
    """Per UTC day, model and provider: how many requests fell in each logarithmic bucket of latency, time to
    first token and throughput. Counts add up incrementally, so percentiles over any range of days come from
    summing buckets (within one bucket's width, about 19 %) without keeping the raw records."""

    __tablename__ = "model_histograms"
    # A model's page reads one model's days.
    __table_args__ = (Index("ix_model_histograms_model_day", "model_slug", "day"),)

    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    model_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(200), primary_key=True)
    # latency_ms, ttft_ms or throughput (tokens per second)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class AppUsageHourly(Base):
    """Everyone's requests per hour and app (its `HTTP-Referer`, else its `X-Title`): the top-apps ranking."""

    __tablename__ = "app_usage_hourly"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    app: Mapped[str] = mapped_column(String(500), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the latest title the app sent
    requests: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
