"""core.memo: short texts are remembered, long ones computed every time."""

from crosscluster.core.memo import for_short_texts


def test_short_texts_are_computed_once_and_long_ones_every_time():
    calls = []

    @for_short_texts(maxsize=2, max_length=5)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [shout("abc"), shout("abc"), shout("abcdef"), shout("abcdef")] == [
        "ABC",
        "ABC",
        "ABCDEF",
        "ABCDEF",
    ]
    assert calls == ["abc", "abcdef", "abcdef"]
    assert shout.cache_info().currsize == 1
    shout.cache_clear()
    shout("abc")
    assert calls[-1] == "abc" and len(calls) == 4


def test_the_cache_holds_at_most_maxsize_texts():
    @for_short_texts(maxsize=3)
    def same(text: str) -> str:
        return text

    for number in range(10):
        same(str(number))

    assert same.cache_info().currsize == 3
