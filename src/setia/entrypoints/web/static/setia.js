// Setia cashier: keyboard shortcuts and the register's one queue of cart changes.
// Every change posts the whole cart form; changes run one after another, so fast scans are never lost.
(function () {
  "use strict";
  var queue = Promise.resolve();

  function form() { return document.getElementById("register-form"); }

  function send(op, extra) {
    var values = Object.assign({op: op}, extra || {});
    queue = queue.then(function () {
      if (!form()) { return null; }
      return htmx.ajax("POST", "/pos/cart", {source: "#register-form", values: values,
                                            target: "#register", swap: "outerHTML"});
    }).catch(function () { return null; });
    return queue;
  }
  window.setiaSend = send;

  function focusField(id) {
    var element = document.getElementById(id);
    if (element) { element.focus(); if (element.select) { element.select(); } }
  }

  document.addEventListener("keydown", function (event) {
    var shortcuts = {F2: "q", F4: "member_q", F7: "voucher_entry", F8: "cash"};
    if (shortcuts[event.key] && document.getElementById("register")) {
      event.preventDefault();
      if (event.key === "F4" && !document.getElementById("member_q")) { focusField("q"); return; }
      focusField(shortcuts[event.key]);
      return;
    }
    if (event.key === "Escape" && document.getElementById("q")) { event.preventDefault(); focusField("q"); return; }
    if (event.key === "F6" && form()) {  // redeem the member's first full stamp card on this sale
      event.preventDefault();
      send("stamp_card_first");
      return;
    }
    if ((event.key === "F9" || event.key === "F10") && form()) {
      event.preventDefault();
      send(event.key === "F9" ? "exact:card" : "exact:qris");
      return;
    }
    var target = event.target;
    if (event.key === "Enter" && target && target.dataset && target.dataset.enter) {
      event.preventDefault();
      if (target.dataset.enter === "scan") {
        var code = target.value.trim();
        target.value = "";
        var results = document.getElementById("results");
        if (results) { results.innerHTML = ""; }
        // Enter on an empty scan field finishes the sale, as the screen says.
        send(code ? "scan" : "finish", {code: code});
      } else {
        send(target.dataset.enter);
      }
    }
    // On the receipt: Enter starts the next sale.
    if (event.key === "Enter" && document.body.classList.contains("receipt-page") && target === document.body) {
      var next = document.getElementById("next-sale");
      if (next) { event.preventDefault(); next.click(); }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-op]") : null;
    if (button && form()) { event.preventDefault(); send(button.dataset.op); }
    var printButton = event.target.closest ? event.target.closest("[data-print]") : null;
    if (printButton) { event.preventDefault(); window.print(); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    // Only the register's own answer moves the focus: a late search result must not steal it from F4/F8.
    if (!event.detail || !event.detail.target || event.detail.target.id !== "register") { return; }
    var register = document.getElementById("register");
    if (register && register.dataset.focus) { focusField(register.dataset.focus); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var register = document.getElementById("register");
    if (register && register.dataset.focus) { focusField(register.dataset.focus); }
  });
})();
