/*
 * The WeCom sidebar's one script: which external contact is the open chat with?
 *
 * It speaks to WeixinJSBridge, the bridge WeCom's built-in browser injects, the
 * way WeCom's JS-SDK (jweixin + jwxwork) does, so no SDK is fetched from
 * anywhere: wx.config is the bridge call "preVerifyJSAPI" with verify* fields
 * (which jweixin also adds to every later call), wx.agentConfig is "agentConfig",
 * and getCurExternalContact answers { err_msg: "getCurExternalContact:ok",
 * userId }. The signatures come from the server (the tickets never leave it);
 * the contact goes back to the server, which shows the card only if the signed-in
 * advisor follows that contact.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("wecom-config").textContent);
  var status = document.getElementById("status");

  function show(text) {
    status.textContent = text;
  }

  function verified(args) {
    args.verifyAppId = config.corpId;
    args.verifySignType = "sha1";
    args.verifyTimestamp = config.timestamp;
    args.verifyNonceStr = config.nonceStr;
    args.verifySignature = config.signature;
    return args;
  }

  function invoke(name, args) {
    return new Promise(function (resolve, reject) {
      window.WeixinJSBridge.invoke(name, verified(args), function (res) {
        var message = (res && (res.err_msg || res.errMsg)) || "";
        if (/:ok$/.test(message)) {
          resolve(res);
        } else {
          reject(new Error(name + " → " + (message || "no answer")));
        }
      });
    });
  }

  function run() {
    invoke("preVerifyJSAPI", { verifyJsApiList: config.jsApiList })
      .catch(function () {
        /* WeCom 3.0.24 and later need only agentConfig for this API */
      })
      .then(function () {
        return invoke("agentConfig", {
          corpid: config.corpId,
          agentid: config.agentId,
          timestamp: config.timestamp,
          nonceStr: config.nonceStr,
          signature: config.agentSignature,
          jsApiList: config.jsApiList,
        });
      })
      .then(function () {
        return invoke("getCurExternalContact", {});
      })
      .then(function (res) {
        if (!res.userId) {
          throw new Error("getCurExternalContact → no userId");
        }
        window.location.replace(config.contactUrl + "?external_userid=" + encodeURIComponent(res.userId));
      })
      .catch(function (error) {
        show("无法识别当前客户（" + error.message + "）。请在与客户的单聊中，从聊天工具栏打开本页。");
      });
  }

  if (window.WeixinJSBridge) {
    run();
  } else {
    document.addEventListener("WeixinJSBridgeReady", run, false);
    window.setTimeout(function () {
      if (!window.WeixinJSBridge) {
        show("请在企业微信中，从与客户聊天的工具栏打开本页。");
      }
    }, 3000);
  }
})();
