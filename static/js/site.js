// Buttons marked .js-hide are for browsers without JavaScript (htmx does the job otherwise).
document.documentElement.classList.add("js");
