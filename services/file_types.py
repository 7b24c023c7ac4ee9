"""The file types accepted as attachments, recognised by their first bytes (never by name); no models, so the
intake service uses it too."""

KINDS = {  # content type → (extension, label)
    "application/pdf": (".pdf", "PDF"),
    "image/png": (".png", "PNG"),
    "image/jpeg": (".jpg", "JPEG"),
    "image/webp": (".webp", "WebP"),
}


def sniff(head):
    """The content type a file's first bytes prove, or None (PDF, PNG, JPEG, WebP only)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
