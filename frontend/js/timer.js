// The countdown from the question's suggested minutes, counted from when the interview started.
function mmss(totalSeconds) {
  const s = Math.abs(Math.round(totalSeconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** `onOver` (optional) runs once when the countdown crosses zero while it is running. */
export function createTimer(valueNode, labelNode, boxNode, onOver = null) {
  let handle = null;
  const stop = () => {
    if (handle) clearInterval(handle);
    handle = null;
  };
  return {
    start(startedAtIso, minutes) {
      stop();
      boxNode.classList.remove("done");
      const started = Date.parse(startedAtIso) || Date.now();
      const total = Math.max(1, Number(minutes) || 20) * 60;
      let wasOver = null;
      const tick = () => {
        const left = total - (Date.now() - started) / 1000;
        const over = left < 0;
        if (over && wasOver === false && onOver) onOver();
        wasOver = over;
        valueNode.textContent = `${over ? "+" : ""}${mmss(left)}`;
        labelNode.textContent = over ? "Over time" : "Time left";
        boxNode.classList.toggle("low", !over && left < 120);
        boxNode.classList.toggle("over", over);
        boxNode.setAttribute("aria-label", over ? `Over the suggested ${minutes} minutes by ${mmss(left)}`
          : `${mmss(left)} left of the suggested ${minutes} minutes`);
      };
      tick();
      handle = setInterval(tick, 1000);
    },
    /** Shows how long the interview took, from its start to `endIso` (or now). */
    finish(startedAtIso, endIso) {
      stop();
      boxNode.classList.remove("low", "over");
      boxNode.classList.add("done");
      const took = ((Date.parse(endIso) || Date.now()) - (Date.parse(startedAtIso) || Date.now())) / 1000;
      labelNode.textContent = "Time taken";
      valueNode.textContent = mmss(Math.max(0, took));
      boxNode.setAttribute("aria-label", `Interview finished in ${mmss(Math.max(0, took))}`);
    },
    stop,
  };
}
