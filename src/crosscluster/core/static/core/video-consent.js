/*
 * Two-click consent for external videos (DSGVO, TTDSG §25).
 *
 * The page holds the player address only in data-video-src, so nothing is requested from the video's host
 * until the visitor clicks "Load video". The click replaces the placeholder with the player (an iframe for
 * YouTube and Vimeo, a native <video> for media files), moves the focus to it and announces it in the
 * status region. Playing is the second click, in the player itself. No framework, no inline script.
 */
(() => {
  "use strict";

  const EMBED_PREFIXES = {
    youtube: "https://www.youtube-nocookie.com/embed/",
    vimeo: "https://player.vimeo.com/video/",
  };

  function buildPlayer(box) {
    const kind = box.dataset.videoKind;
    const src = box.dataset.videoSrc || "";
    const title = box.dataset.videoTitle || "";
    if (kind in EMBED_PREFIXES) {
      if (!src.startsWith(EMBED_PREFIXES[kind])) return null;
      const frame = document.createElement("iframe");
      frame.className = "video-frame";
      frame.title = title;
      frame.allow = "fullscreen; picture-in-picture; encrypted-media";
      frame.allowFullscreen = true;
      // Our site sends no referrer cross-origin; YouTube refuses embeds without one, so send the origin only.
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      frame.src = src;
      return frame;
    }
    if (kind === "media") {
      if (!/^https?:\/\//i.test(src)) return null;
      const video = document.createElement("video");
      video.className = "video-player";
      video.controls = true;
      video.preload = "metadata";
      video.setAttribute("aria-label", title);
      const source = document.createElement("source");
      source.src = src;
      if (box.dataset.videoType) source.type = box.dataset.videoType;
      video.append(source);
      return video;
    }
    return null;
  }

  function load(box, placeholder) {
    const player = buildPlayer(box);
    if (!player) return;
    placeholder.replaceWith(player);
    // The button is gone: give the focus to the player, so keyboard users continue where they were.
    player.focus();
    if (document.activeElement !== player) {
      box.tabIndex = -1;
      box.focus();
    }
    const status = box.querySelector("[data-video-status]");
    if (status) status.textContent = box.dataset.videoLoaded || "";
  }

  for (const box of document.querySelectorAll("[data-video-consent]")) {
    const placeholder = box.querySelector("[data-video-placeholder]");
    const button = box.querySelector("[data-video-load]");
    if (!placeholder || !button) continue;
    button.addEventListener("click", () => load(box, placeholder));
    // Without this script the button could do nothing, so it stays hidden; the link to the platform remains.
    button.hidden = false;
  }
})();
