"""Images the app serves from its own server.

The favicon is a file here, not a Material icon or an emoji: for those, Streamlit's front
end has the browser fetch the icon from fonts.gstatic.com or a CDN, an outside request on
every page load that fails (and waits) on an air-gapped hospital network. The browser
tests fail on any request that leaves the machine.
"""

from pathlib import Path

FAVICON = Path(__file__).with_name("favicon.png")
