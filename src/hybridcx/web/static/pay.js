// The demo secure payment form: checks the card in the browser and sends nothing anywhere.
// A real deployment swaps this page for the payment processor's hosted fields.

function luhnValid(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const form = document.getElementById("pay-form");
const status = document.getElementById("pay-status");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const digits = form.elements["cc-number"].value.replace(/[\s-]/g, "");
  const csc = form.elements["cc-csc"].value.trim();
  if (!/^\d{13,19}$/.test(digits) || !luhnValid(digits)) {
    status.textContent = "That card number does not look right; please check it.";
    return;
  }
  if (!/^\d{3,4}$/.test(csc)) {
    status.textContent = "The security code is the 3 or 4 digits on your card.";
    return;
  }
  form.reset();
  status.textContent =
    `Demo: card ending ${digits.slice(-4)} accepted by the browser check. ` +
    "Nothing was sent: no payment processor is connected in the demo.";
});
