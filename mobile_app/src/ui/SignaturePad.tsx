import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n";

/** A canvas to sign on with a finger, a stylus or a mouse (Pointer Events). `onChange` gets
 * the PNG of the signature when it has ink, null when cleared. */
export function SignaturePad({
  label,
  onChange,
}: {
  label: string;
  onChange: (png: Blob | null) => void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const [hasInk, setHasInk] = useState(false);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const ratio = window.devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    const context = canvas.getContext("2d")!;
    context.scale(ratio, ratio);
    context.fillStyle = "#fff";
    context.fillRect(0, 0, rect.width, rect.height);
    context.lineWidth = 2.5;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#0a1f44";
  }, []);

  function point(event: PointerEvent): [number, number] {
    const rect = canvasRef.current!.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  function finish() {
    if (!drawing.current) return;
    drawing.current = false;
    canvasRef.current!.toBlob((blob) => onChange(blob), "image/png");
  }

  return (
    <div class="signature">
      <canvas
        ref={canvasRef}
        class="signature-canvas"
        role="img"
        aria-label={label}
        data-testid="signature-canvas"
        onPointerDown={(event) => {
          const context = canvasRef.current!.getContext("2d")!;
          canvasRef.current!.setPointerCapture(event.pointerId);
          drawing.current = true;
          const [x, y] = point(event);
          context.beginPath();
          context.moveTo(x, y);
          context.lineTo(x + 0.1, y + 0.1);
          context.stroke();
          setHasInk(true);
        }}
        onPointerMove={(event) => {
          if (!drawing.current) return;
          const context = canvasRef.current!.getContext("2d")!;
          const [x, y] = point(event);
          context.lineTo(x, y);
          context.stroke();
        }}
        onPointerUp={finish}
        onPointerCancel={finish}
      />
      <button
        type="button"
        class="button button-small button-ghost"
        disabled={!hasInk}
        onClick={() => {
          const canvas = canvasRef.current!;
          const context = canvas.getContext("2d")!;
          const rect = canvas.getBoundingClientRect();
          context.fillStyle = "#fff";
          context.fillRect(0, 0, rect.width, rect.height);
          setHasInk(false);
          onChange(null);
        }}
      >
        {t("signClear")}
      </button>
    </div>
  );
}
