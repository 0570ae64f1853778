"""A drawing canvas for digits, written with Streamlit's components API (``st.components.v2``).

``streamlit-drawable-canvas`` 0.9.3 (the release most tutorials use) calls
``streamlit.elements.image.image_to_url``, which the Streamlit this demo pins (1.67) no longer
has: it fails with an AttributeError as soon as it is given a background image. Its 0.13 rewrite
needs Streamlit 1.53+ and brings all of Fabric.js for what is, here, a black pen on a white
square. This component is that pen: draw with a mouse, a finger or a stylus, and each time
a stroke ends the picture goes back to Python as a PNG. "Clear" empties it.
"""

import base64

import streamlit as st

HTML = """
<div class="zoo-canvas">
  <canvas width="280" height="280" aria-label="drawing canvas"></canvas>
  <div><button type="button">Clear</button></div>
</div>
"""

CSS = """
.zoo-canvas canvas { border: 1px solid #999; border-radius: 4px; touch-action: none;
                     cursor: crosshair; background: #fff; }
.zoo-canvas button { margin-top: 4px; }
"""

JS = """
export default function(component) {
  const { parentElement, setStateValue, data } = component;
  const canvas = parentElement.querySelector("canvas");
  const button = parentElement.querySelector("button");
  const context = canvas.getContext("2d");
  const pen = (data && data.pen) || 18;
  function clear() {
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
  }
  if (!canvas.dataset.ready) {
    clear();
    canvas.dataset.ready = "1";
  }
  let last = null;
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width,
            (event.clientY - box.top) * canvas.height / box.height];
  }
  function stroke(from, to) {
    context.strokeStyle = "#000000";
    context.lineWidth = pen;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.lineTo(to[0], to[1]);
    context.stroke();
  }
  canvas.onpointerdown = (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    stroke(last, last);
  };
  canvas.onpointermove = (event) => {
    if (last === null) return;
    const next = point(event);
    stroke(last, next);
    last = next;
  };
  canvas.onpointerup = canvas.onpointercancel = () => {
    if (last === null) return;
    last = null;
    setStateValue("image", canvas.toDataURL("image/png"));
  };
  button.onclick = () => {
    clear();
    setStateValue("image", null);
  };
}
"""

_canvas = st.components.v2.component("zoo_demo.canvas", html=HTML, css=CSS, js=JS)


def draw(*, key, pen=18):
    """Show the canvas; the drawing as PNG bytes (black on white, 280x280), or ``None``."""
    result = _canvas(key=key, data={"pen": int(pen)}, default={"image": None},
                     on_image_change=lambda: None)
    url = getattr(result, "image", None) if result is not None else None
    if not url or ";base64," not in url:
        return None
    return base64.b64decode(url.split(";base64,", 1)[1])
