from markers import marker
MARKER = marker("settings-reference")
def on_page_markdown(markdown, page, config, files):
    return markdown.replace(MARKER, "TODO")
