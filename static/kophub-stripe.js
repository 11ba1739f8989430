// Card payment for a Kophub checkout with Stripe's Payment Element. Runs only when Stripe.js
// loaded; otherwise the page's own instructions stay visible.
(function () {
  var box = document.getElementById("stripe-pay");
  if (!box || typeof window.Stripe !== "function") return;
  var stripe = window.Stripe(box.getAttribute("data-publishable-key"));
  var elements = stripe.elements({ clientSecret: box.getAttribute("data-client-secret") });
  var element = elements.create("payment");
  var button = document.getElementById("stripe-submit");
  var error = document.getElementById("stripe-error");
  element.mount("#payment-element");
  element.on("ready", function () {
    document.getElementById("stripe-fallback").hidden = true;
    button.hidden = false;
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    error.hidden = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: box.getAttribute("data-return-url") } })
      .then(function (result) {
        if (result.error) {
          error.textContent = result.error.message;
          error.hidden = false;
          button.disabled = false;
        }
      });
  });
})();
