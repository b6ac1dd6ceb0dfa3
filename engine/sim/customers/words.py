"""Words for generated customers: names, products, inquiry topics and messages."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛"]
EN_FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Chris", "Morgan", "Jamie", "Casey"]
EN_LAST = ["Smith", "Brown", "Wong", "Chan", "Lee", "Garcia", "Miller", "Davis"]
PRODUCTS = [
    "basic-plan",
    "advanced-plan",
    "router",
    "phone",
    "headset",
    "cloud-storage",
    "warranty",
    "sim-card",
]
TOPICS = ["billing", "delivery", "technical", "refund", "account"]
MESSAGES = {
    "billing": ["这个月的账单怎么多扣了钱?", "I was charged twice this month"],
    "delivery": ["我的包裹到哪里了?", "Where is my parcel?"],
    "technical": ["路由器一直断线", "The app keeps crashing"],
    "refund": ["退款什么时候到账?", "When will my refund arrive?"],
    "account": ["密码重置不了", "I cannot reset my password"],
}
COMPLAINT_WORDS = ["投诉", "太慢", "退款", "不满意", "取消", "terrible", "cancel"]
CHURN_REASONS = ["competitor", "price", "service", "moved", "no-longer-needed"]


def name_of(rng: random.Random, language: str) -> str:
    if language == "zh":
        return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def message(rng: random.Random, topic: str) -> str:
    return rng.choice(MESSAGES.get(topic, MESSAGES["account"]))


def complaint_words(rng: random.Random) -> list[str]:
    return rng.sample(COMPLAINT_WORDS, rng.randint(1, 3))
