// Refreshes the live part every 2 s; runs actions without leaving the page. Without script, the page is plain HTML.
// A log panel the server opens (a micro that failed) or closes stays as the user last set it.
const live = document.getElementById('live'), notice = document.getElementById('notice');
const opened = new Set(), closed = new Set();
live.addEventListener('click', (ev) => {
  const summary = ev.target.closest('details[data-micro] > summary');
  if (!summary) return;
  const name = summary.parentElement.dataset.micro, opening = !summary.parentElement.open;
  (opening ? opened : closed).add(name);
  (opening ? closed : opened).delete(name);
});
async function refresh() {
  try {
    const r = await fetch('/__micros/?fragment=1', { cache: 'no-store' });
    if (!r.ok) return;
    live.innerHTML = await r.text();
    live.querySelectorAll('details[data-micro]').forEach(d => {
      if (opened.has(d.dataset.micro)) d.open = true;
      if (closed.has(d.dataset.micro)) d.open = false;
    });
  } catch (e) { /* micros stopped: keep the last view */ }
}
setInterval(refresh, 2000);
live.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.target, button = form.querySelector('button');
  button.disabled = true;
  notice.textContent = 'running ' + form.action.split('/').pop() + '...';
  const r = await fetch(form.action, { method: 'POST' });
  notice.textContent = 'action ' + form.action.split('/').pop() + ': ' + r.status + ' ' + (await r.text()).slice(0, 200);
  await refresh();
});
