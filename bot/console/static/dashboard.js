// The dashboard's period form (bot/console/templates/dashboard/index.html): typing a day
// chooses "From … to …" too. Without this script the form works the same; the hint says to
// choose it.
document.addEventListener("DOMContentLoaded", () => {
  const custom = document.querySelector('input[name="period"][value="custom"]');
  if (!custom) return;
  for (const id of ["period-from", "period-to"]) {
    const field = document.getElementById(id);
    if (field) field.addEventListener("input", () => { custom.checked = true; });
  }
});
