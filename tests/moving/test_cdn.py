"""The originals behind the platforms' resize addresses."""

import pytest

from moving.cdn import original_url

BLOGGER = "https://1.bp.blogspot.com/--HchRsPW6kQ/USDey4-wAdI/AAAAAAAAAeU/w6i51L-ziAQ"
BLOGGER_NEW = "https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEiQ2z8"
OVERBLOG_ORIGINAL = "https://img.over-blog-kiwi.com/1/47/95/23/20190401/ob_5a0e1c_radis.jpg"
SUBSTACK_ORIGINAL = (
    "https://substack-post-media.s3.amazonaws.com/public/images/"
    "4f1e6f1a-5b8e-4a7e-9a51-2c1d0e9b7a10_1024x768.jpeg"
)
SUBSTACK_ENCODED = SUBSTACK_ORIGINAL.replace(":", "%3A").replace("/", "%2F")


@pytest.mark.parametrize(
    ("url", "original"),
    [
        # Blogger, classic: the size is the folder before the file name.
        (f"{BLOGGER}/s1600/IMG_3009.JPG", f"{BLOGGER}/s0/IMG_3009.JPG"),
        (f"{BLOGGER}/s72-c/IMG_3009.JPG", f"{BLOGGER}/s0/IMG_3009.JPG"),
        (f"{BLOGGER}/s320/IMG_3009.JPG", f"{BLOGGER}/s0/IMG_3009.JPG"),
        (f"{BLOGGER}/s1600-h/IMG_3009.JPG", f"{BLOGGER}/s0/IMG_3009.JPG"),
        (f"{BLOGGER_NEW}/w640-h480/radis.jpg", f"{BLOGGER_NEW}/s0/radis.jpg"),
        (f"{BLOGGER_NEW}/w400-h300-p-k-no-nu/radis.jpg", f"{BLOGGER_NEW}/s0/radis.jpg"),
        (f"{BLOGGER}/s0/IMG_3009.JPG", f"{BLOGGER}/s0/IMG_3009.JPG"),
        # Blogger, newer addresses without a file name, and Google's photo hosts.
        (
            "https://blogger.googleusercontent.com/img/a/AVvXsEgX3k9Q=s1600",
            "https://blogger.googleusercontent.com/img/a/AVvXsEgX3k9Q=s0",
        ),
        (
            "https://blogger.googleusercontent.com/img/a/AVvXsEgX3k9Q=w640-h480-c",
            "https://blogger.googleusercontent.com/img/a/AVvXsEgX3k9Q=s0",
        ),
        (
            "https://lh3.googleusercontent.com/pw/AP1Gcz=s72-c",
            "https://lh3.googleusercontent.com/pw/AP1Gcz=s0",
        ),
        # Overblog's resizer, its original plain or encoded, and the older hosts' size folder.
        (f"https://resize.over-blog.com/400x260.jpg?{OVERBLOG_ORIGINAL}", OVERBLOG_ORIGINAL),
        (f"http://resize.over-blog.com/170x170-ct.jpg?{OVERBLOG_ORIGINAL}", OVERBLOG_ORIGINAL),
        (
            "https://resize.over-blog.com/300x200.png?https%3A%2F%2Fimg.over-blog-kiwi.com%2F0%2F55%2Fa.png",
            "https://img.over-blog-kiwi.com/0/55/a.png",
        ),
        (
            f"https://resize.over-blog.com/640x480.jpg?url={OVERBLOG_ORIGINAL.replace('/', '%2F')}",
            OVERBLOG_ORIGINAL,
        ),
        (
            "http://img.over-blog.com/300x225/0/23/45/67/radis.jpg",
            "http://img.over-blog.com/0/23/45/67/radis.jpg",
        ),
        (
            "http://a398.idata.over-blog.com/500x375/2/55/83/66/radis.jpg",
            "http://a398.idata.over-blog.com/2/55/83/66/radis.jpg",
        ),
        (OVERBLOG_ORIGINAL, OVERBLOG_ORIGINAL),
        # Substack: the transforms, then the original, encoded or not, even fetched twice.
        (
            "https://substackcdn.com/image/fetch/w_1456,c_limit,f_webp,q_auto:good,"
            f"fl_progressive:steep/{SUBSTACK_ENCODED}",
            SUBSTACK_ORIGINAL,
        ),
        (
            f"https://substackcdn.com/image/fetch/$s_!Xk2d!,w_80,h_80,c_fill/{SUBSTACK_ENCODED}",
            SUBSTACK_ORIGINAL,
        ),
        (f"https://substackcdn.com/image/fetch/w_520/{SUBSTACK_ORIGINAL}", SUBSTACK_ORIGINAL),
        (
            "https://substackcdn.com/image/fetch/w_80/https%3A%2F%2Fsubstackcdn.com%2Fimage%2F"
            "fetch%2Fw_1456%2Fhttps%253A%252F%252Fbucketeer-e05bbc84.s3.amazonaws.com%252Fa.png",
            "https://bucketeer-e05bbc84.s3.amazonaws.com/a.png",
        ),
        # WordPress: intermediate sizes in uploads only, WordPress.com and Jetpack's query sizes.
        (
            "https://potager.example.org/wp-content/uploads/2019/05/radis-300x200.jpg",
            "https://potager.example.org/wp-content/uploads/2019/05/radis.jpg",
        ),
        (
            "https://potager.example.org/wp-content/uploads/2019/05/radis-1024x683.jpeg?ver=2",
            "https://potager.example.org/wp-content/uploads/2019/05/radis.jpeg?ver=2",
        ),
        (
            "https://potager.example.org/photos/radis-300x200.jpg",
            "https://potager.example.org/photos/radis-300x200.jpg",
        ),
        (
            "https://potager.files.wordpress.com/2019/05/radis.jpg?w=300&h=200",
            "https://potager.files.wordpress.com/2019/05/radis.jpg",
        ),
        (
            "https://i0.wp.com/potager.example.org/wp-content/uploads/2019/05/radis-1024x683.jpg"
            "?resize=640%2C427&ssl=1",
            "https://potager.example.org/wp-content/uploads/2019/05/radis.jpg",
        ),
        # Ghost's renditions, on its export's placeholder host too.
        (
            "https://carnet.example.org/content/images/size/w600/2023/01/radis.jpg",
            "https://carnet.example.org/content/images/2023/01/radis.jpg",
        ),
        (
            "https://carnet.example.org/content/images/size/w1000/format/webp/2023/01/radis.png",
            "https://carnet.example.org/content/images/2023/01/radis.png",
        ),
        (
            "__GHOST_URL__/content/images/size/w1000/2024/02/radis.png",
            "__GHOST_URL__/content/images/2024/02/radis.png",
        ),
        # Left alone.
        ("https://example.org/radis.jpg?w=300", "https://example.org/radis.jpg?w=300"),
        ("data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,iVBORw0KGgo="),
        ("/images/radis.jpg", "/images/radis.jpg"),
    ],
)
def test_original_url(url, original):
    assert original_url(url) == original
