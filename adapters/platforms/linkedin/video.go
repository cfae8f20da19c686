package linkedin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// The Videos API: initializeUpload (owner, size) gives the video URN, an upload token and
// one upload instruction per part (byte range and URL); each part is PUT and answers an
// ETag; finalizeUpload takes the ETags in order; the video is then PROCESSING until
// AVAILABLE (or PROCESSING_FAILED).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api

type initVideoRequest struct {
	InitializeUploadRequest struct {
		Owner           string `json:"owner"`
		FileSizeBytes   int64  `json:"fileSizeBytes"`
		UploadCaptions  bool   `json:"uploadCaptions"`
		UploadThumbnail bool   `json:"uploadThumbnail"`
	} `json:"initializeUploadRequest"`
}

type initVideoResponse struct {
	Value struct {
		Video              string `json:"video"`
		UploadToken        string `json:"uploadToken"`
		UploadInstructions []struct {
			UploadURL string `json:"uploadUrl"`
			FirstByte int64  `json:"firstByte"`
			LastByte  int64  `json:"lastByte"`
		} `json:"uploadInstructions"`
	} `json:"value"`
}

type finalizeVideoRequest struct {
	FinalizeUploadRequest struct {
		Video           string   `json:"video"`
		UploadToken     string   `json:"uploadToken"`
		UploadedPartIDs []string `json:"uploadedPartIds"`
	} `json:"finalizeUploadRequest"`
}

type videoStatus struct {
	Status string `json:"status"`
}

// uploadVideo uploads one video in the parts LinkedIn asks for, finalizes it and waits
// until LinkedIn has processed it. The parts are read one after the other from one stream
// (Herald's storage for a library file, else the downloaded bytes), so a library video is
// never held in memory whole: LinkedIn's parts are contiguous byte ranges in order.
func (a *Adapter) uploadVideo(ctx context.Context, token, owner string, m ports.PublicationMedia, n int) (string, error) {
	src, err := a.open(ctx, m, n)
	if err != nil {
		return "", err
	}
	defer src.Close()
	var req initVideoRequest
	req.InitializeUploadRequest.Owner = owner
	req.InitializeUploadRequest.FileSizeBytes = src.size
	var init initVideoResponse
	if _, err := a.do(ctx, call{method: http.MethodPost, path: "/rest/videos?action=initializeUpload", token: token, body: req, restli: true, what: "prepare a video upload"}, &init); err != nil {
		return "", err
	}
	v := init.Value
	if v.Video == "" || len(v.UploadInstructions) == 0 {
		return "", fmt.Errorf("linkedin: prepare a video upload: answer without video or upload instructions")
	}
	parts := make([]string, 0, len(v.UploadInstructions))
	next := int64(0) // the first byte not yet sent
	for i, ins := range v.UploadInstructions {
		if ins.FirstByte != next || ins.LastByte < ins.FirstByte || ins.LastByte >= src.size || ins.UploadURL == "" {
			return "", fmt.Errorf("linkedin: upload video %d: instruction %d is out of range or out of order", n, i)
		}
		size := ins.LastByte - ins.FirstByte + 1
		etag, err := a.putPart(ctx, token, ins.UploadURL, io.LimitReader(src, size), size, "application/octet-stream", fmt.Sprintf("upload video %d", n), "a video", true)
		if err != nil {
			return "", err
		}
		parts = append(parts, etag)
		next = ins.LastByte + 1
	}
	if next != src.size {
		return "", fmt.Errorf("linkedin: upload video %d: the instructions cover %d of %d bytes", n, next, src.size)
	}
	var fin finalizeVideoRequest
	fin.FinalizeUploadRequest.Video = v.Video
	fin.FinalizeUploadRequest.UploadToken = v.UploadToken
	fin.FinalizeUploadRequest.UploadedPartIDs = parts
	if _, err := a.do(ctx, call{method: http.MethodPost, path: "/rest/videos?action=finalizeUpload", token: token, body: fin, restli: true, what: "finish a video upload"}, nil); err != nil {
		return "", err
	}
	return v.Video, a.awaitVideo(ctx, token, v.Video, n)
}

// awaitVideo polls the video until it is AVAILABLE. A video still processing after
// VideoWait is a failure worth retrying; PROCESSING_FAILED is permanent.
func (a *Adapter) awaitVideo(ctx context.Context, token, urn string, n int) error {
	deadline := time.Now().Add(a.cfg.VideoWait)
	for {
		var st videoStatus
		// GET /rest/videos/{encoded video URN}
		if _, err := a.do(ctx, call{method: http.MethodGet, path: "/rest/videos/" + url.QueryEscape(urn), token: token, restli: true, what: "check a video's processing"}, &st); err != nil {
			return err
		}
		switch st.Status {
		case "AVAILABLE":
			return nil
		case "PROCESSING_FAILED":
			return domain.Errorf(domain.CodeInvalid, "LinkedIn could not process video %d; check its format (MP4, at most 10 minutes).", n)
		}
		if time.Now().After(deadline) {
			return domain.Errorf(domain.CodeUnavailable, "LinkedIn is still processing video %d; Herald will try again.", n)
		}
		t := time.NewTimer(a.cfg.VideoPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
