"""Which text on a PDF page a reader can see: the rest is never read into the library.

A PDF can carry text that no viewer shows: drawn in white on the white page, in the
invisible render mode, at a size no one can read, or placed outside the page. No
instructor reviewing the file would notice it, yet text extraction returns it like any
other, so it would be indexed, retrieved and quoted to the model as course material.
That is how instructions are smuggled into a curriculum (the prompt-injection suite
plants them exactly there), and a hidden wrong dose would be cited as the course's own.

:func:`visible_page` returns a copy of a page whose content stream has lost the
text-showing operators a reader cannot see; pypdf then extracts the copy as usual, so
the visible text comes out exactly as before. What counts as unseen:

* an effective size under :data:`MIN_VISIBLE_PT` (font size times the text and
  transformation matrices' scale);
* an origin outside the crop box by more than the text's own size;
* render mode 3 (invisible) or 7 (clip only), or a fill colour near white, unless the
  text starts on something painted before it that is not white: a scanned page's OCR
  layer is invisible text over the picture of the same words, and white titles sit on
  coloured slide banners; both stay.

Form XObjects (content drawn with ``Do``, where a document can tuck text away as easily
as on the page) are judged the same way, in the graphics state they are drawn in; a form
that loses text is replaced, for that one drawing, by a filtered copy under a new name.
Forms nest at most :data:`MAX_FORM_DEPTH` deep and at most :data:`MAX_FORM_VISITS` are
judged per page (a form that draws itself, or a fan-out of forms, cannot make this loop);
past either limit the rest is read as it is.

Not covered: text hidden under a later shape or image, clipping paths, and colours in
pattern, separation or ICC colour spaces, which count as visible. Those need a renderer;
this is a cheap check of the common tricks, done on the operators pypdf already parses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from pypdf import PageObject
from pypdf.generic import ContentStream, DictionaryObject, NameObject

MIN_VISIBLE_PT = 2.0
MAX_FORM_DEPTH = 8
MAX_FORM_VISITS = 1_000
WHITE = 0.95  # every RGB component at or above this is white on a white page

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_SHOW_TEXT = {b"Tj", b"TJ", b"'", b'"'}
_PATH_FILL = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PATH_END = _PATH_FILL | {b"S", b"s", b"n"}
_DEVICE_FILL = {b"g": "/DeviceGray", b"rg": "/DeviceRGB", b"k": "/DeviceCMYK"}
_DEVICE_SPACES = frozenset(_DEVICE_FILL.values())


@dataclass(frozen=True)
class _Graphics:
    ctm: Matrix = IDENTITY
    fill: tuple[float, float, float] | None = (0.0, 0.0, 0.0)  # None: a colour we cannot judge
    fill_space: str = "/DeviceGray"
    render_mode: int = 0
    font_size: float = 12.0
    leading: float = 0.0


@dataclass
class _Page:
    crop: tuple[float, float, float, float]
    state: _Graphics = field(default_factory=_Graphics)
    stack: list[_Graphics] = field(default_factory=list)
    text_matrix: Matrix = IDENTITY
    line_matrix: Matrix = IDENTITY
    path: list[tuple[float, float]] = field(default_factory=list)  # device-space points of the current path
    painted: list[tuple[float, float, float, float]] = field(default_factory=list)  # non-white filled boxes
    forms: dict[str, Matrix] = field(default_factory=dict)  # form XObject name -> its box as a matrix on the unit square


def visible_page(page: PageObject) -> tuple[PageObject, int]:
    """A detached copy of ``page`` without its unseen text, and how many text operators were dropped."""
    try:  # read as pypdf's own text extraction does ("bytes": strings stay undecoded, so the kept
        # operators reach the extractor exactly as they were)
        operations = ContentStream(page["/Contents"].get_object(), page.pdf, "bytes").operations
    except Exception:  # noqa: BLE001 - no contents, not a stream, or undecodable: the extractor uses
        # the same parser, so it reads no text from this page (or fails on it) without our help
        return page, 0
    resources = _resources_of(page)
    walk = _Walk(page.pdf)
    kept, dropped, forms = walk.filtered(operations, _Page(crop=_visible_box(page), forms=_form_boxes(resources)),
                                         resources, depth=0)
    if not dropped:
        return page, 0
    copy = PageObject(pdf=page.pdf)
    copy.update(page)
    copy[NameObject("/Contents")] = walk.stream(kept)
    if forms:
        copy[NameObject("/Resources")] = _with_forms(resources, forms)
    return copy, dropped


@dataclass
class _Walk:
    """One page's content and the forms it draws, judged operator by operator."""

    pdf: object
    form_visits: int = 0

    def filtered(self, operations: list, page: _Page, resources: DictionaryObject | None,
                 depth: int) -> tuple[list, int, dict[str, ContentStream]]:
        """The operations without unseen text, how many were dropped, and the filtered forms to add by name."""
        kept: list = []
        dropped = 0
        forms: dict[str, ContentStream] = {}
        for operands, operator in operations:
            if operator in (b"'", b'"'):  # these move to the next line first, then show
                _next_line(page, 0.0, -page.state.leading)
            if operator in _SHOW_TEXT and not _seen(page):
                dropped += 1
                kept.extend(_movement_of(operator, operands))
                continue
            judged = self._judged_form(page, operands[0], resources, depth) if operator == b"Do" and operands else None
            if judged is None:
                _track(page, operator, operands)
                kept.append((operands, operator))
                continue
            form_dropped, stream = judged  # what the form paints was tracked inside it, not as its whole box
            if stream is not None:
                name = _free_name(resources, forms)
                forms[name] = stream
                dropped += form_dropped
                operands = [NameObject(name)]
            kept.append((operands, operator))
        return kept, dropped, forms

    def _judged_form(self, page: _Page, name: object, resources: DictionaryObject | None,
                     depth: int) -> tuple[int, ContentStream | None] | None:
        """How much unseen text the form ``name`` holds as drawn here, and its copy without it.

        None when it was not judged (an image, a damaged form, past the limits): it is then
        drawn as it is and counts as painting its whole box. The copy is None when nothing
        was dropped.
        """
        if depth >= MAX_FORM_DEPTH or self.form_visits >= MAX_FORM_VISITS or resources is None:
            return None
        try:
            form = resources["/XObject"].get_object()[str(name)].get_object()
            if form.get("/Subtype") != "/Form":
                return None
            operations = ContentStream(form, self.pdf, "bytes").operations
            matrix = tuple(float(v) for v in form.get("/Matrix", IDENTITY))
            own = form["/Resources"].get_object() if "/Resources" in form else resources  # else inherited
        except Exception:  # noqa: BLE001 - a damaged form: the extractor meets it as it is
            return None
        if len(matrix) != 6:
            return None
        self.form_visits += 1
        inside = _Page(crop=page.crop, state=replace(page.state, ctm=_multiply(matrix, page.state.ctm)),
                       painted=page.painted, forms=_form_boxes(own))
        kept, dropped, nested = self.filtered(operations, inside, own, depth + 1)
        if not dropped:
            return 0, None
        stream = self.stream(kept)
        for key, value in form.items():
            if key not in ("/Length", "/Filter", "/DecodeParms"):
                stream[NameObject(key)] = value
        if nested:
            stream[NameObject("/Resources")] = _with_forms(own, nested)
        return dropped, stream

    def stream(self, operations: list) -> ContentStream:
        stream = ContentStream(None, self.pdf, "bytes")
        stream.operations = operations
        return stream


def _seen(page: _Page) -> bool:
    state = page.state
    trm = _multiply(page.text_matrix, state.ctm)
    scale = math.sqrt(abs(trm[0] * trm[3] - trm[1] * trm[2]))
    size = abs(state.font_size) * scale
    if size < MIN_VISIBLE_PT:
        return False
    x, y = trm[4], trm[5]
    left, bottom, right, top = page.crop
    if x < left - size or x > right + size or y < bottom - size or y > top + size:
        return False
    if state.render_mode in (3, 7) or state.fill is not None and min(state.fill) >= WHITE:
        # unseen on a blank page; on a picture or a coloured shape it is the OCR layer of a
        # scan (invisible words over the image of the same words) or a caption on a banner
        return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in page.painted)
    return True


def _movement_of(operator: bytes, operands: list) -> list:
    """The line moves a dropped ``'`` or ``"`` also made, so later text keeps its place."""
    if operator == b"'":
        return [([], b"T*")]
    if operator == b'"' and len(operands) >= 3:
        return [([operands[0]], b"Tw"), ([operands[1]], b"Tc"), ([], b"T*")]
    return []


def _track(page: _Page, operator: bytes, operands: list) -> None:  # noqa: C901 - one branch per operator
    state = page.state
    numbers = _numbers(operands)
    if operator == b"q":
        page.stack.append(state)
    elif operator == b"Q":
        page.state = page.stack.pop() if page.stack else _Graphics()
    elif operator == b"cm" and len(numbers) == 6:
        page.state = replace(state, ctm=_multiply(tuple(numbers), state.ctm))
    elif operator in _DEVICE_FILL:
        page.state = replace(state, fill=_rgb(numbers) if len(numbers) == len(operands) else None,
                             fill_space=_DEVICE_FILL[operator])
    elif operator in (b"sc", b"scn"):
        judged = state.fill_space in _DEVICE_SPACES and len(numbers) == len(operands)
        page.state = replace(state, fill=_rgb(numbers) if judged else None)
    elif operator == b"cs" and operands:
        space = str(operands[0])
        page.state = replace(state, fill_space=space, fill=(0.0, 0.0, 0.0) if space in _DEVICE_SPACES else None)
    elif operator == b"Tr" and numbers:
        page.state = replace(state, render_mode=int(numbers[0]))
    elif operator == b"Tf" and len(operands) >= 2 and len(numbers) == 1:
        page.state = replace(state, font_size=numbers[0])
    elif operator == b"TL" and numbers:
        page.state = replace(state, leading=numbers[0])
    elif operator == b"BT":
        page.text_matrix = page.line_matrix = IDENTITY
    elif operator == b"Tm" and len(numbers) == 6:
        page.text_matrix = page.line_matrix = tuple(numbers)
    elif operator in (b"Td", b"TD") and len(numbers) == 2:
        if operator == b"TD":
            page.state = replace(state, leading=-numbers[1])
        _next_line(page, numbers[0], numbers[1])
    elif operator == b"T*":
        _next_line(page, 0.0, -page.state.leading)
    else:
        _track_painting(page, operator, operands, numbers)


def _track_painting(page: _Page, operator: bytes, operands: list, numbers: list[float]) -> None:
    ctm = page.state.ctm
    if operator == b"re" and len(numbers) == 4:
        x, y, w, h = numbers
        page.path += [_apply(ctm, x, y), _apply(ctm, x + w, y + h), _apply(ctm, x, y + h), _apply(ctm, x + w, y)]
    elif operator in (b"m", b"l") and len(numbers) == 2 or operator in (b"c", b"v", b"y") and len(numbers) >= 4:
        page.path += [_apply(ctm, numbers[i], numbers[i + 1]) for i in range(0, len(numbers) - 1, 2)]
    elif operator in _PATH_END:
        fill = page.state.fill
        if operator in _PATH_FILL and page.path and (fill is None or min(fill) < WHITE):
            page.painted.append(_bounds(page.path))
        page.path = []
    elif operator in (b"Do", b"INLINE IMAGE"):  # an image covers the unit square; a form, its box
        form = page.forms.get(str(operands[0])) if operator == b"Do" and operands else None
        square = _multiply(form, ctm) if form else ctm
        page.painted.append(_bounds([_apply(square, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]))
    elif operator == b"sh":  # a shading fills the clip: count the whole page
        page.painted.append(page.crop)


def _visible_box(page: PageObject) -> tuple[float, float, float, float]:
    """The crop box (what a viewer shows), else the media box; a page with neither is not bounded."""
    for name in ("cropbox", "mediabox"):
        try:
            box = getattr(page, name)
            return float(box.left), float(box.bottom), float(box.right), float(box.top)
        except Exception:  # a damaged box (null, three numbers, a string): try the next one
            continue
    return -math.inf, -math.inf, math.inf, math.inf


def _resources_of(page: PageObject) -> DictionaryObject | None:
    try:
        return page["/Resources"].get_object()
    except (KeyError, AttributeError):
        return None


def _form_boxes(resources: DictionaryObject | None) -> dict[str, Matrix]:
    """For each form XObject in ``resources``: the matrix taking the unit square onto its box."""
    boxes: dict[str, Matrix] = {}
    try:
        xobjects = resources["/XObject"].get_object()
    except (KeyError, TypeError, AttributeError):
        return boxes
    for name, ref in xobjects.items():
        try:
            xobject = ref.get_object()
            if xobject.get("/Subtype") != "/Form":
                continue
            x0, y0, x1, y1 = (float(v) for v in xobject["/BBox"])
            matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
        except Exception:  # a damaged form: treat it as an image (the unit square)
            continue
        if len(matrix) == 6:
            boxes[str(name)] = _multiply((x1 - x0, 0.0, 0.0, y1 - y0, x0, y0), matrix)
    return boxes


def _free_name(resources: DictionaryObject | None, taken: dict[str, ContentStream]) -> str:
    """An XObject name that neither ``resources`` nor the forms added so far use."""
    try:
        used = set(resources["/XObject"].get_object())
    except (KeyError, TypeError, AttributeError):
        used = set()
    n = len(taken)
    while f"/TutorVisible{n}" in used or f"/TutorVisible{n}" in taken:
        n += 1
    return f"/TutorVisible{n}"


def _with_forms(resources: DictionaryObject | None, forms: dict[str, ContentStream]) -> DictionaryObject:
    """A copy of ``resources`` whose XObjects also hold ``forms`` (the originals stay untouched)."""
    copy = DictionaryObject(resources or {})
    try:
        xobjects = DictionaryObject(copy["/XObject"].get_object())
    except (KeyError, TypeError, AttributeError):
        xobjects = DictionaryObject()
    xobjects.update({NameObject(name): stream for name, stream in forms.items()})
    copy[NameObject("/XObject")] = xobjects
    return copy


def _next_line(page: _Page, tx: float, ty: float) -> None:
    page.line_matrix = page.text_matrix = _multiply((1.0, 0.0, 0.0, 1.0, tx, ty), page.line_matrix)


def _rgb(numbers: list[float]) -> tuple[float, float, float] | None:
    if len(numbers) == 1:
        return (numbers[0],) * 3
    if len(numbers) == 3:
        return (numbers[0], numbers[1], numbers[2])
    if len(numbers) == 4:
        c, m, y, k = numbers
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _numbers(operands: list) -> list[float]:
    out = []
    for operand in operands:
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            value = float(operand)
            if math.isfinite(value):
                out.append(value)
    return out


def _multiply(m: Matrix | tuple, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF's row-vector convention: the point is multiplied by m, then by n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)
